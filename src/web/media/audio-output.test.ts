import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pickLoudspeaker } from './audio-output.js';

test('the loudspeaker is picked by name, never the earpiece or a headset', () => {
  assert.equal(
    pickLoudspeaker([
      { deviceId: 'e', label: 'Earpiece' },
      { deviceId: 's', label: 'Speakerphone' },
    ]),
    's',
  );
  assert.equal(pickLoudspeaker([{ deviceId: 'h', label: 'Headset earpiece speaker' }]), null);
  assert.equal(pickLoudspeaker([{ deviceId: 'r', label: 'Динамик' }]), 'r');
  assert.equal(pickLoudspeaker([{ deviceId: 'default', label: 'Default' }]), null);
});
