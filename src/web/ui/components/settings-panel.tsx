import { useEffect, useRef } from 'preact/hooks';
import type { Lang } from '../../i18n/i18n.js';
import type { DeviceInfo, Devices } from '../../core/media-port.js';
import { useI18n } from '../i18n-context.js';

interface Props {
  devices: Devices;
  currentAudio: string | null;
  currentVideo: string | null;
  /** The panel opened: the device list is read again. */
  onOpen: () => void;
  onChoose: (kind: 'audio' | 'video', deviceId: string) => void;
  onLanguage: (lang: Lang) => void;
  onClose: () => void;
}

/** A small settings dialog: camera, microphone, language. Choices are big buttons, no typing. */
export function SettingsPanel(p: Props) {
  const { t, lang } = useI18n();
  const closeRef = useRef<HTMLButtonElement>(null);
  const backdropRef = useRef<HTMLDivElement>(null);
  useEffect(() => {
    // A tap outside the dialog closes it (keyboard users have Escape and the Close button).
    const backdrop = backdropRef.current;
    const onBackdrop = (e: MouseEvent) => e.target === backdrop && p.onClose();
    backdrop?.addEventListener('click', onBackdrop);
    p.onOpen();
    closeRef.current?.focus();
    const onKey = (e: KeyboardEvent) => e.key === 'Escape' && p.onClose();
    document.addEventListener('keydown', onKey);
    return () => {
      document.removeEventListener('keydown', onKey);
      backdrop?.removeEventListener('click', onBackdrop);
    };
  }, []);

  const group = (kind: 'audio' | 'video', title: string, list: DeviceInfo[], current: string | null) => (
    <fieldset class="settings-group">
      <legend>{title}</legend>
      {list.length === 0 ? <p class="muted">{t('noDevices')}</p> : null}
      {list.map((d, i) => (
        <button
          type="button"
          key={d.deviceId}
          class={`choice${d.deviceId === current ? ' chosen' : ''}`}
          aria-pressed={d.deviceId === current}
          onClick={() => p.onChoose(kind, d.deviceId)}
        >
          {d.label || t('deviceFallback', { n: i + 1 })}
        </button>
      ))}
    </fieldset>
  );

  const langs: [Lang, string][] = [
    ['ru', 'Русский'],
    ['en', 'English'],
  ];
  return (
    <div class="backdrop" ref={backdropRef}>
      <div
        class="settings"
        role="dialog"
        aria-modal="true"
        aria-labelledby="settings-title"
        data-testid="settings-panel"
      >
        <header class="settings-head">
          <h2 id="settings-title">{t('settings')}</h2>
          <button type="button" ref={closeRef} class="choice close" onClick={p.onClose}>
            {t('close')}
          </button>
        </header>
        {group('video', t('camera'), p.devices.cameras, p.currentVideo)}
        {group('audio', t('microphone'), p.devices.microphones, p.currentAudio)}
        <fieldset class="settings-group">
          <legend>{t('language')}</legend>
          {langs.map(([code, name]) => (
            <button
              type="button"
              key={code}
              lang={code}
              class={`choice${code === lang ? ' chosen' : ''}`}
              aria-pressed={code === lang}
              onClick={() => p.onLanguage(code)}
            >
              {name}
            </button>
          ))}
        </fieldset>
      </div>
    </div>
  );
}
