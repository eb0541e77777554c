import { PhoneIcon } from '../components/icons.js';
import { useI18n } from '../i18n-context.js';

/** Home: the name and one big button. */
export function HomeScreen({ onConnect }: { onConnect: () => void }) {
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
    </section>
  );
}
