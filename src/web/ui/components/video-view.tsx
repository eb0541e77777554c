import { useEffect, useRef } from 'preact/hooks';

interface Props {
  stream: MediaStream | null;
  /** Bumped when the stream's tracks change, to re-attach. */
  version: number;
  muted: boolean;
  className: string;
  label: string;
  mirrored?: boolean;
  /** Called when the browser refused to start sound without a tap. */
  onNeedsTap?: () => void;
}

/**
 * A <video> bound to a MediaStream. Remote sound may be refused by autoplay rules: then it
 * plays muted (the picture still shows) and sound is retried on the next tap or key press.
 */
export function VideoView({ stream, version, muted, className, label, mirrored, onNeedsTap }: Props) {
  const ref = useRef<HTMLVideoElement>(null);
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    if (el.srcObject !== stream) el.srcObject = stream;
    if (!stream) return;
    el.muted = muted;
    let cancelled = false;
    const retry = () => {
      el.muted = muted;
      void el.play().catch(() => {});
    };
    el.play().catch(() => {
      if (cancelled || muted) return;
      el.muted = true;
      void el.play().catch(() => {});
      onNeedsTap?.();
      document.addEventListener('pointerdown', retry, { once: true, capture: true });
      document.addEventListener('keydown', retry, { once: true, capture: true });
    });
    return () => {
      cancelled = true;
      document.removeEventListener('pointerdown', retry, { capture: true });
      document.removeEventListener('keydown', retry, { capture: true });
    };
  }, [stream, version, muted]);
  return (
    <video
      ref={ref}
      class={`${className}${mirrored ? ' mirrored' : ''}`}
      aria-label={label}
      autoplay
      playsInline
      muted={muted}
      data-testid={muted ? 'local-video' : 'remote-video'}
    />
  );
}
