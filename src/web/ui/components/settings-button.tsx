import { useI18n } from '../i18n-context.js';
import { GearIcon } from './icons.js';

/** Always labelled with a word, also on the smallest phones: an icon alone is a puzzle. */
export function SettingsButton({ onOpen, variant = 'light' }: { onOpen: () => void; variant?: 'light' | 'dark' }) {
  const { t } = useI18n();
  return (
    <button type="button" class={`settings-button settings-${variant}`} data-testid="open-settings" onClick={onOpen}>
      <GearIcon />
      <span>{t('settings')}</span>
    </button>
  );
}
