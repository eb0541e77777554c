import { useEffect, useRef } from 'preact/hooks';
import { isIos } from '../browser-kind.js';
import type { AppName } from '../in-app-browser.js';
import { HelpDrawing } from '../components/help-drawing.js';
import { CopyIcon } from '../components/icons.js';
import { useI18n } from '../i18n-context.js';
import { useUiEnv } from '../ui-env.js';

interface Props {
  app: AppName;
  url: string;
  onCopied: (ok: boolean) => void;
  onStay: () => void;
}

/**
 * The link was opened inside a messenger, whose own browser often has no camera: how to open it
 * in Chrome or Safari, and the link ready to copy. The call does not start here unless asked,
 * so this page never holds the place the real browser needs.
 */
export function InAppScreen({ app, url, onCopied, onStay }: Props) {
  const { lang, t } = useI18n();
  const { userAgent } = useUiEnv();
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => heading.current?.focus(), []);
  const ios = isIos(userAgent);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(url);
      onCopied(true);
    } catch {
      onCopied(false);
    }
  };
  return (
    <section class="screen help-screen" data-testid="in-app-browser" aria-labelledby="in-app-title">
      <h1 id="in-app-title" ref={heading} tabIndex={-1}>
        {t('inAppTitle')}
      </h1>
      <p class="help-intro">{t('inAppText', { app: app[lang] })}</p>
      <HelpDrawing kind={ios ? 'in-app-ios' : 'in-app-android'} label={t('helpPicture')} />
      <ol class="steps">
        {t(ios ? 'inAppStepsIos' : 'inAppStepsAndroid')
          .split('\n')
          .map((s) => (
            <li key={s}>{s}</li>
          ))}
      </ol>
      <p class="help-intro">{t('inAppCopyHint')}</p>
      <p class="invite-url" data-testid="invite-url">
        {url}
      </p>
      <button type="button" class="cta" data-testid="copy-link" onClick={() => void copy()}>
        <CopyIcon />
        <span>{t('copy')}</span>
      </button>
      <button type="button" class="big-button secondary wide" data-testid="stay-in-app" onClick={onStay}>
        <span>{t('inAppContinue')}</span>
      </button>
    </section>
  );
}
