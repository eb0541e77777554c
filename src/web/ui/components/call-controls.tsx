import type { JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { useI18n } from '../i18n-context.js';
import { useUiEnv } from '../ui-env.js';
import { CameraIcon, HangupIcon, MicIcon, SwitchIcon } from './icons.js';

/** How long «Точно завершить?» waits for the second press before it turns back. */
export const HANGUP_CONFIRM_MS = 4_000;

interface Props {
  micOn: boolean;
  camOn: boolean;
  canSwitch: boolean;
  onMic: () => void;
  onCamera: () => void;
  onSwitch: () => void;
  onHangup: () => void;
}

/**
 * The call's controls: each one large, with an icon and a visible word. Toggles keep their name
 * and announce their state with aria-pressed (pressed = on); the hang-up button asks once, in
 * place, so a stray touch does not end the call but two quick presses do.
 */
export function CallControls(p: Props) {
  const { t } = useI18n();
  const { clock } = useUiEnv();
  const [confirming, setConfirming] = useState(false);
  useEffect(() => {
    if (!confirming) return;
    const h = clock.setTimeout(() => setConfirming(false), HANGUP_CONFIRM_MS);
    return () => clock.clearTimeout(h);
  }, [confirming]);
  const toggle = (on: boolean, testid: string, name: string, offNote: string, icon: JSX.Element, fn: () => void) => (
    <button type="button" class={`control${on ? '' : ' off'}`} data-testid={testid} aria-pressed={on} onClick={fn}>
      {icon}
      <span class="control-label">
        {name}
        {on ? null : (
          <span class="control-note" aria-hidden="true">
            {offNote}
          </span>
        )}
      </span>
    </button>
  );
  return (
    <nav class={`controls${p.canSwitch ? ' four' : ''}`} aria-label={t('callControls')}>
      {toggle(p.micOn, 'toggle-mic', t('micOn'), t('micOffNote'), <MicIcon off={!p.micOn} />, p.onMic)}
      {toggle(p.camOn, 'toggle-camera', t('camOn'), t('camOffNote'), <CameraIcon off={!p.camOn} />, p.onCamera)}
      {p.canSwitch ? (
        <button type="button" class="control" data-testid="switch-camera" onClick={p.onSwitch}>
          <SwitchIcon />
          <span class="control-label">{t('switchCamera')}</span>
        </button>
      ) : null}
      <button
        type="button"
        class={`control hangup${confirming ? ' confirming' : ''}`}
        data-testid="hangup"
        data-confirming={confirming ? 'true' : 'false'}
        aria-label={confirming ? t('hangupConfirm') : t('hangupLabel')}
        onClick={() => {
          if (confirming) p.onHangup();
          else setConfirming(true);
        }}
      >
        <HangupIcon />
        <span class="control-label">{confirming ? t('hangupConfirm') : t('hangup')}</span>
      </button>
    </nav>
  );
}
