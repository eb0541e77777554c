import { useI18n } from '../i18n-context.js';
import { CameraIcon, HangupIcon, MicIcon, SwitchIcon } from './icons.js';

interface Props {
  micOn: boolean;
  camOn: boolean;
  canSwitch: boolean;
  onMic: () => void;
  onCamera: () => void;
  onSwitch: () => void;
  onHangup: () => void;
}

/** The call's controls: each one large, with an icon, a visible word and an accessible name. */
export function CallControls(p: Props) {
  const { t } = useI18n();
  return (
    <nav class="controls" aria-label={t('callControls')}>
      <button
        type="button"
        class={`control${p.micOn ? '' : ' off'}`}
        data-testid="toggle-mic"
        aria-pressed={!p.micOn}
        aria-label={t(p.micOn ? 'micOnLabel' : 'micOffLabel')}
        onClick={p.onMic}
      >
        <MicIcon off={!p.micOn} />
        <span>{t(p.micOn ? 'micOn' : 'micOff')}</span>
      </button>
      <button
        type="button"
        class={`control${p.camOn ? '' : ' off'}`}
        data-testid="toggle-camera"
        aria-pressed={!p.camOn}
        aria-label={t(p.camOn ? 'camOnLabel' : 'camOffLabel')}
        onClick={p.onCamera}
      >
        <CameraIcon off={!p.camOn} />
        <span>{t(p.camOn ? 'camOn' : 'camOff')}</span>
      </button>
      {p.canSwitch ? (
        <button
          type="button"
          class="control"
          data-testid="switch-camera"
          aria-label={t('switchCameraLabel')}
          onClick={p.onSwitch}
        >
          <SwitchIcon />
          <span>{t('switchCamera')}</span>
        </button>
      ) : null}
      <button
        type="button"
        class="control hangup"
        data-testid="hangup"
        aria-label={t('hangupLabel')}
        onClick={p.onHangup}
      >
        <HangupIcon />
        <span>{t('hangup')}</span>
      </button>
    </nav>
  );
}
