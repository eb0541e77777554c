import { useEffect, useRef } from 'preact/hooks';
import { PhoneIcon } from '../components/icons.js';
import { useI18n } from '../i18n-context.js';

interface Props {
  title: string;
  text: string;
  kind: 'ended' | 'not-found' | 'refused';
  onHome: () => void;
  /** «Позвонить ещё раз» on the same link (the ended screen). */
  onCallAgain?: () => void;
}

/** Ended, not-found and refused: a title, one sentence, a way home (and, after a call, a way back in). */
export function MessageScreen({ title, text, kind, onHome, onCallAgain }: Props) {
  const { t } = useI18n();
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => heading.current?.focus(), [kind]);
  return (
    <section class={`screen message ${kind}`}>
      <h1 ref={heading} tabIndex={-1}>
        {title}
      </h1>
      <p class="reason" data-testid="reason">
        {text}
      </p>
      {onCallAgain ? (
        <button type="button" class="cta" data-testid="call-again" onClick={onCallAgain}>
          <PhoneIcon />
          <span>{t('callAgain')}</span>
        </button>
      ) : null}
      <button
        type="button"
        class={onCallAgain ? 'big-button secondary wide' : 'cta'}
        data-testid="return-home"
        onClick={onHome}
      >
        <span>{t('home')}</span>
      </button>
    </section>
  );
}
