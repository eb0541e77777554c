import { useI18n } from '../i18n-context.js';
import { formatElapsed, useElapsed } from '../ui-env.js';

/** How long the call has been going, since the picture first appeared. */
export function CallTimer({ since }: { since: number | null }) {
  const { t } = useI18n();
  const elapsed = useElapsed(since);
  if (elapsed === null) return null;
  return (
    <p class="call-timer" data-testid="call-timer">
      <span class="visually-hidden">{t('callTime')}: </span>
      <time>{formatElapsed(elapsed)}</time>
    </p>
  );
}
