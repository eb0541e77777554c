import type { Toast } from '../../core/toasts.js';
import type { MessageKey } from '../../i18n/i18n.js';
import { useI18n } from '../i18n-context.js';

/** Messages the UI shows as a screen or a banner that stays; their toasts would only repeat them. */
const SHOWN_ELSEWHERE = new Set<MessageKey>(['signalLost', 'offline', 'mediaDenied', 'mediaBusy']);

/**
 * Status messages in plain words; a polite live region so screen readers announce them. Only the
 * newest is shown, so the band stays small and off the other person's face.
 */
export function ToastLayer({ toasts, onDismiss }: { toasts: readonly Toast[]; onDismiss: (id: number) => void }) {
  const { t } = useI18n();
  const shown = toasts.filter((x) => !SHOWN_ELSEWHERE.has(x.key)).slice(-1);
  return (
    <div class="toasts" data-testid="toast" role="status" aria-live="polite">
      {shown.map((toast) => (
        <button
          type="button"
          key={toast.id}
          class={`toast toast-${toast.tone}`}
          data-key={toast.key}
          onClick={() => onDismiss(toast.id)}
        >
          {t(toast.key)}
        </button>
      ))}
    </div>
  );
}
