import type { CallView } from '../../core/call-controller.js';
import { CallControls } from '../components/call-controls.js';
import { ShareOverlay } from '../components/share-overlay.js';
import { VideoView } from '../components/video-view.js';
import { useI18n } from '../i18n-context.js';

interface Props {
  view: CallView;
  inviteUrl: string;
  canSwitch: boolean;
  onMic: () => void;
  onCamera: () => void;
  onSwitch: () => void;
  onHangup: () => void;
  onCopied: (ok: boolean) => void;
  onNeedsTap: () => void;
}

/** Waiting and active: the other person full-screen with sound, our own preview small and muted. */
export function CallScreen({ view, inviteUrl, canSwitch, ...on }: Props) {
  const { t } = useI18n();
  const s = view.state;
  const waiting = s.kind === 'call' && s.media === 'none';
  const alone = s.kind === 'call' && s.peer === 'absent';
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
        />
        {!waiting && !view.remoteCam ? <p class="remote-note">{t('remoteCameraOff')}</p> : null}
        {!waiting && !view.remoteMic ? <p class="remote-badge">{t('remoteMicOff')}</p> : null}
        <VideoView
          stream={view.local}
          version={view.streamsVersion}
          muted
          className={waiting ? 'self self-large' : 'self'}
          label={t('selfView')}
          mirrored
        />
        {waiting && alone ? (
          <ShareOverlay url={inviteUrl} onCopied={on.onCopied} deferQr={s.kind === 'call' && s.fresh} />
        ) : null}
        {waiting && !alone ? <p class="connecting">{t('connecting')}</p> : null}
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
