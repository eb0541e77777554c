import { useEffect, useRef } from 'preact/hooks';
import { useI18n } from '../i18n-context.js';

interface Props {
  title: string;
  text: string;
  kind: 'ended' | 'not-found' | 'refused';
  onHome: () => void;
}

/** Ended, not-found and refused: a title, one sentence, one button home. */
export function MessageScreen({ title, text, kind, onHome }: Props) {
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
      <button type="button" class="cta" data-testid="return-home" onClick={onHome}>
        <span>{t('home')}</span>
      </button>
    </section>
  );
}
