import { useEffect, useRef } from 'preact/hooks';
import { useUiEnv } from '../ui-env.js';

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
  /** Called once sound really plays (after a refusal, on a tap or the sound button). */
  onSound?: () => void;
  /** Bumped by the sound button: try to play with sound again now, inside the tap. */
  soundRequest?: number;
  /** The chosen sound output (null: the loudspeaker where the browser names one, else default). */
  outputId?: string | null;
}

/**
 * A <video> bound to a MediaStream. Remote sound may be refused by autoplay rules: then it
 * plays muted (the picture still shows) and sound is retried on the next tap or key press.
 */
export function VideoView(p: Props) {
  const { stream, version, muted } = p;
  const ref = useRef<HTMLVideoElement>(null);
  const { output } = useUiEnv();
  const playWithSound = (el: HTMLVideoElement) => {
    el.muted = false;
    return el.play().then(
      () => p.onSound?.(),
      () => {
        el.muted = true;
        void el.play().catch(() => {});
        return Promise.reject(new Error('sound refused'));
      },
    );
  };
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    if (el.srcObject !== stream) el.srcObject = stream;
    if (!stream) return;
    el.muted = muted;
    if (muted) {
      void el.play().catch(() => {});
      return;
    }
    let cancelled = false;
    const retry = () => void playWithSound(el).catch(() => {});
    playWithSound(el).catch(() => {
      if (cancelled) return;
      p.onNeedsTap?.();
      document.addEventListener('pointerdown', retry, { once: true, capture: true });
      document.addEventListener('keydown', retry, { once: true, capture: true });
    });
    return () => {
      cancelled = true;
      document.removeEventListener('pointerdown', retry, { capture: true });
      document.removeEventListener('keydown', retry, { capture: true });
    };
  }, [stream, version, muted]);
  useEffect(() => {
    const el = ref.current;
    if (el && p.soundRequest) void playWithSound(el).catch(() => {});
  }, [p.soundRequest]);
  useEffect(() => {
    const el = ref.current;
    if (el && !muted && p.outputId !== undefined) void output.apply(el, p.outputId);
  }, [p.outputId, muted]);
  return (
    <video
      ref={ref}
      class={`${p.className}${p.mirrored ? ' mirrored' : ''}`}
      aria-label={p.label}
      autoplay
      playsInline
      muted={muted}
      data-testid={muted ? 'local-video' : 'remote-video'}
    />
  );
}
