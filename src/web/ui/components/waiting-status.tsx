import { useI18n } from '../i18n-context.js';
import { formatElapsed, useElapsed } from '../ui-env.js';

/** "Waiting for the other person", a slow pulse, and how long we have waited. */
export function WaitingStatus({ since }: { since: number | null }) {
  const { t } = useI18n();
  const elapsed = useElapsed(since);
  return (
    <div class="waiting-status" data-testid="waiting-status">
      <span class="pulse" aria-hidden="true" />
      <span class="waiting-words">
        <span class="waiting-for">{t('waitingFor')}</span>
        {elapsed !== null ? (
          <span class="waiting-time" data-testid="waiting-time">
            {t('waitingElapsed', { time: formatElapsed(elapsed) })}
          </span>
        ) : null}
      </span>
    </div>
  );
}
