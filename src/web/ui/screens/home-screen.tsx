import { PhoneIcon } from '../components/icons.js';
import { useI18n } from '../i18n-context.js';

interface Props {
  onConnect: () => void;
  /** The last call's session id, kept only in this browser; null when there is none. */
  lastCall: string | null;
  onLastCall: () => void;
  onForget: () => void;
}

/** Home: the name and one big button; below it, the last call's link, to call again or forget. */
export function HomeScreen({ onConnect, lastCall, onLastCall, onForget }: Props) {
  const { t } = useI18n();
  return (
    <section class="screen home">
      <h1 class="brand">{t('appName')}</h1>
      <p class="tagline">{t('tagline')}</p>
      <button type="button" class="cta" data-testid="cta-connect" onClick={onConnect}>
        <PhoneIcon />
        <span>{t('connect')}</span>
      </button>
      <p class="hint">{t('connectHint')}</p>
      {lastCall ? (
        <section class="last-call" aria-labelledby="last-call-title" data-testid="last-call">
          <h2 id="last-call-title">{t('lastCallTitle')}</h2>
          <button type="button" class="big-button primary wide" data-testid="last-call-again" onClick={onLastCall}>
            <PhoneIcon />
            <span>{t('lastCallAgain')}</span>
          </button>
          <button type="button" class="big-button secondary wide" data-testid="last-call-forget" onClick={onForget}>
            <span>{t('lastCallForget')}</span>
          </button>
          <p class="muted">{t('lastCallNote')}</p>
        </section>
      ) : null}
    </section>
  );
}
