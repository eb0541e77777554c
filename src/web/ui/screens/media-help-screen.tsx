import { useEffect, useRef, useState } from 'preact/hooks';
import type { MessageKey } from '../../i18n/i18n.js';
import { type BrowserKind, detectBrowser } from '../browser-kind.js';
import { HelpDrawing } from '../components/help-drawing.js';
import { useI18n } from '../i18n-context.js';
import { useUiEnv } from '../ui-env.js';

const STEPS: Record<BrowserKind, MessageKey> = {
  'android-chrome': 'helpAndroidChrome',
  'ios-safari': 'helpIosSafari',
  'desktop-chrome': 'helpDesktopChrome',
  'desktop-firefox': 'helpDesktopFirefox',
  'desktop-safari': 'helpDesktopSafari',
};

interface Props {
  reason: 'denied' | 'busy';
  onRetry: () => Promise<void>;
  onReceiveOnly: () => void;
}

/**
 * Camera or microphone refused (or busy): what to do in this browser, step by step, with a
 * drawing; «Попробовать снова» asks again, and the call can go on without them meanwhile.
 * A screen, not a toast: it stays until the problem is solved or the user chooses to go on.
 */
export function MediaHelpScreen({ reason, onRetry, onReceiveOnly }: Props) {
  const { t } = useI18n();
  const { userAgent } = useUiEnv();
  const [trying, setTrying] = useState(false);
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => heading.current?.focus(), []);
  const browser = detectBrowser(userAgent);
  const steps = t(reason === 'denied' ? STEPS[browser] : 'helpBusySteps').split('\n');
  const retry = async () => {
    setTrying(true);
    try {
      await onRetry();
    } finally {
      setTrying(false);
    }
  };
  return (
    <section class="screen help-screen" data-testid="media-help" data-browser={browser} aria-labelledby="help-title">
      <h1 id="help-title" ref={heading} tabIndex={-1}>
        {t(reason === 'denied' ? 'helpDeniedTitle' : 'helpBusyTitle')}
      </h1>
      <p class="help-intro">{t('helpIntro')}</p>
      {reason === 'denied' ? <HelpDrawing kind={browser} label={t('helpPicture')} /> : null}
      <ol class="steps">
        {steps.map((s) => (
          <li key={s}>{s}</li>
        ))}
      </ol>
      <button type="button" class="cta" data-testid="retry-media" disabled={trying} onClick={() => void retry()}>
        <span>{t('retry')}</span>
      </button>
      <button type="button" class="big-button secondary wide" data-testid="receive-only" onClick={onReceiveOnly}>
        <span>{t('receiveOnly')}</span>
      </button>
      <p class="muted">{t('receiveOnlyNote')}</p>
    </section>
  );
}
