import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createPrefs, PREF_KEYS, type StorageLike } from './local-prefs.js';

const mapStorage = (): StorageLike & { map: Map<string, string> } => {
  const map = new Map<string, string>();
  return {
    map,
    getItem: (k) => map.get(k) ?? null,
    setItem: (k, v) => void map.set(k, v),
    removeItem: (k) => void map.delete(k),
  };
};

test('the waiting tone is on by default and remembered when turned off', () => {
  const s = mapStorage();
  assert.equal(createPrefs(s).waitingTone(), true);
  createPrefs(s).setWaitingTone(false);
  assert.equal(createPrefs(s).waitingTone(), false, 'a new page reads the stored choice');
  createPrefs(s).setWaitingTone(true);
  assert.equal(s.map.has(PREF_KEYS.tone), false);
});

test('the last call is kept until forgotten, and only a well-formed id is read back', () => {
  const s = mapStorage();
  const prefs = createPrefs(s);
  const id = '0b6f7c7e-0b5c-4f4e-9d1a-3c2b1a0f9e8d';
  prefs.setLastCall(id);
  assert.equal(createPrefs(s).lastCall(), id);
  prefs.setLastCall(null);
  assert.equal(prefs.lastCall(), null);
  s.map.set(PREF_KEYS.lastCall, 'javascript:alert(1)');
  assert.equal(prefs.lastCall(), null);
});

test('a storage that throws (private mode) keeps nothing and never throws', () => {
  const throwing: StorageLike = {
    getItem: () => {
      throw new Error('denied');
    },
    setItem: () => {
      throw new Error('denied');
    },
    removeItem: () => {
      throw new Error('denied');
    },
  };
  const prefs = createPrefs(throwing);
  prefs.setLastCall('0b6f7c7e-0b5c-4f4e-9d1a-3c2b1a0f9e8d');
  assert.equal(prefs.lastCall(), null);
  assert.equal(prefs.waitingTone(), true);
  assert.equal(createPrefs(null).outputId(), null);
});
