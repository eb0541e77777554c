import type { JSX } from 'preact';
import type { CallView } from '../../core/controller-types.js';
import { CallControls } from '../components/call-controls.js';
import { CallTimer } from '../components/call-timer.js';
import { ShareOverlay } from '../components/share-overlay.js';
import { SoundButton } from '../components/sound-button.js';
import { VideoView } from '../components/video-view.js';
import { WaitingStatus } from '../components/waiting-status.js';
import { useI18n } from '../i18n-context.js';

interface Props {
  view: CallView;
  inviteUrl: string;
  /** Whether this side made the link (pressed «Связать»); the one who opened it never sends it. */
  isHost: boolean;
  canSwitch: boolean;
  /** clock.now() when we began waiting alone, and when the picture first appeared. */
  waitingSince: number | null;
  activeSince: number | null;
  soundBlocked: boolean;
  soundRequest: number;
  outputId: string | null;
  onMic: () => void;
  onCamera: () => void;
  onSwitch: () => void;
  onHangup: () => void;
  onCopied: (ok: boolean) => void;
  onNeedsTap: () => void;
  onSound: () => void;
  onSoundButton: () => void;
  /** The toast layer: in a call it sits in the band at the bottom of the picture, off the face. */
  toasts: JSX.Element;
}

/** Waiting and active: the other person full-screen with sound, our own preview small and muted. */
export function CallScreen({ view, inviteUrl, isHost, canSwitch, ...on }: Props) {
  const { t } = useI18n();
  const s = view.state;
  const waiting = s.kind === 'call' && s.media === 'none';
  const alone = s.kind === 'call' && s.peer === 'absent';
  const fresh = s.kind === 'call' && s.fresh;
  return (
    <section class={`screen call${waiting ? ' is-waiting' : ' is-active'}`}>
      <div class="stage">
        {/* Mounted while still connecting (hidden), so the first remote frame is decoded the
            moment it arrives rather than after the link is reported up and the screen changes. */}
        <VideoView
          stream={view.remote}
          version={view.streamsVersion}
          muted={false}
          className={waiting ? 'remote remote-pending' : 'remote'}
          label={t('remoteView')}
          onNeedsTap={on.onNeedsTap}
          onSound={on.onSound}
          soundRequest={on.soundRequest}
          outputId={on.outputId}
        />
        {!waiting && !view.remoteCam ? <p class="remote-note">{t('remoteCameraOff')}</p> : null}
        <VideoView
          stream={view.local}
          version={view.streamsVersion}
          muted
          className={waiting && alone ? 'self self-large' : 'self'}
          label={t('selfView')}
          mirrored
        />
        {waiting && alone && isHost ? (
          <ShareOverlay url={inviteUrl} onCopied={on.onCopied} deferQr={fresh} since={on.waitingSince} />
        ) : null}
        {waiting && alone && !isHost ? (
          <section class="wait-card" aria-labelledby="wait-title">
            <h2 id="wait-title" class="visually-hidden">
              {t('waitingFor')}
            </h2>
            {fresh ? <p class="connecting-line">{t('connecting')}</p> : <WaitingStatus since={on.waitingSince} />}
            <p class="help">{t('guestWaitingHelp')}</p>
          </section>
        ) : null}
        {waiting && !alone ? <p class="connecting">{t('connecting')}</p> : null}
        {!waiting && on.soundBlocked ? <SoundButton onPress={on.onSoundButton} /> : null}
        {!waiting ? <CallTimer since={on.activeSince} /> : null}
        <div class="bottom-band">
          {on.toasts}
          {!waiting && !view.remoteMic ? <p class="remote-badge">{t('remoteMicOff')}</p> : null}
        </div>
      </div>
      <CallControls
        micOn={view.micOn}
        camOn={view.camOn}
        canSwitch={canSwitch}
        onMic={on.onMic}
        onCamera={on.onCamera}
        onSwitch={on.onSwitch}
        onHangup={on.onHangup}
      />
    </section>
  );
}
