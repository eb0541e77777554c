import type { Toast } from '../../core/toasts.js';
import { useI18n } from '../i18n-context.js';

/** Status messages in plain words; a polite live region so screen readers announce them. */
export function ToastLayer({ toasts, onDismiss }: { toasts: readonly Toast[]; onDismiss: (id: number) => void }) {
  const { t } = useI18n();
  return (
    <div class="toasts" data-testid="toast" role="status" aria-live="polite">
      {toasts.map((toast) => (
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
