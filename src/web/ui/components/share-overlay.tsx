import QRCode from 'qrcode';
import { useEffect, useState } from 'preact/hooks';
import { useI18n } from '../i18n-context.js';
import { CopyIcon, ShareIcon } from './icons.js';
import { WaitingStatus } from './waiting-status.js';

interface Props {
  url: string;
  onCopied: (ok: boolean) => void;
  /**
   * Not yet known whether we are alone (the page opened a link and has not joined yet): the QR
   * code waits, so its generation never competes with a call that is about to be set up.
   */
  deferQr?: boolean;
  /** When we started waiting alone (clock.now()), for the elapsed time. */
  since: number | null;
}

/** The invite: the link, Share (Web Share API), Copy (clipboard), a QR code and one line of help. */
export function ShareOverlay({ url, onCopied, deferQr = false, since }: Props) {
  const { t } = useI18n();
  const [qr, setQr] = useState<string | null>(null);
  useEffect(() => {
    if (deferQr) return;
    let live = true;
    QRCode.toString(url, { type: 'svg', margin: 1, errorCorrectionLevel: 'M' })
      .then((svg) => live && setQr(`data:image/svg+xml;charset=utf-8,${encodeURIComponent(svg)}`))
      .catch(() => live && setQr(null));
    return () => {
      live = false;
    };
  }, [url, deferQr]);

  const copy = async () => {
    try {
      await navigator.clipboard.writeText(url);
      onCopied(true);
    } catch {
      onCopied(false);
    }
  };
  const share = async () => {
    if (typeof navigator.share !== 'function') return copy();
    try {
      await navigator.share({ title: t('appName'), text: t('shareText'), url });
    } catch (e) {
      // The user closed the share sheet: nothing to do. Anything else: fall back to copying.
      if ((e as DOMException)?.name !== 'AbortError') await copy();
    }
  };

  // Share and Copy come right after the title, so they are on screen at every size even when the
  // rest of the card has to scroll.
  return (
    <section class="share-card" aria-labelledby="share-title">
      <h2 id="share-title">{t('waitingTitle')}</h2>
      <div class="share-actions">
        <button type="button" class="big-button primary" data-testid="share-link" onClick={share}>
          <ShareIcon />
          <span>{t('share')}</span>
        </button>
        <button type="button" class="big-button secondary" data-testid="copy-link" onClick={copy}>
          <CopyIcon />
          <span>{t('copy')}</span>
        </button>
      </div>
      <WaitingStatus since={since} />
      <div class="share-more">
        <p class="invite-label">{t('inviteLabel')}</p>
        <p class="invite-url" data-testid="invite-url">
          {url}
        </p>
        {qr ? <img class="qr" src={qr} alt={t('qrLabel')} width={168} height={168} /> : <div class="qr" />}
        <p class="help">{t('waitingHelp')}</p>
      </div>
    </section>
  );
}
