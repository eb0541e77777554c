import { useI18n } from '../i18n-context.js';
import { SpeakerIcon } from './icons.js';

/** Sound was refused by autoplay rules: one big button, there until the sound really plays. */
export function SoundButton({ onPress }: { onPress: () => void }) {
  const { t } = useI18n();
  return (
    <div class="sound-prompt">
      <button type="button" class="cta sound-button" data-testid="enable-sound" onClick={onPress}>
        <SpeakerIcon />
        <span>{t('soundButton')}</span>
      </button>
      <p class="sound-help">{t('soundHelp')}</p>
    </div>
  );
}
