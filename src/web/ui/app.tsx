import type { AppName } from './in-app-browser.js';
import type { JSX } from 'preact';
import { useEffect, useMemo, useState } from 'preact/hooks';
import type { CallController } from '../core/call-controller.js';
import type { EndReason } from '../core/call-machine.js';
import { screenState } from '../core/screen-state.js';
import { type Lang, type MessageKey, translator } from '../i18n/i18n.js';
import { Banner } from './components/banner.js';
import { SettingsButton } from './components/settings-button.js';
import { SettingsPanel } from './components/settings-panel.js';
import { ToastLayer } from './components/toast-layer.js';
import { I18nContext } from './i18n-context.js';
import { CallScreen } from './screens/call-screen.js';
import { HomeScreen } from './screens/home-screen.js';
import { InAppScreen } from './screens/in-app-screen.js';
import { MediaHelpScreen } from './screens/media-help-screen.js';
import { MessageScreen } from './screens/message-screen.js';
import { type UiEnv, UiEnvContext } from './ui-env.js';
import { useCallMoments } from './use-call-moments.js';
import { useOnline } from './use-online.js';
import { useVersion } from './use-version.js';

const END_TEXT: Record<EndReason, MessageKey> = {
  local: 'endedLocal',
  remote: 'endedRemote',
  timeout: 'endedTimeout',
  lifetime: 'endedLifetime',
  'session-ended': 'endedSession',
};
const REFUSAL_TEXT: Partial<Record<string, MessageKey>> = {
  SESSION_FULL: 'errSessionFull',
  SESSION_ENDED: 'errSessionEnded',
  SERVER_BUSY: 'errServerBusy',
  BAD_SESSION_ID: 'notFoundText',
};

interface Props {
  controller: CallController;
  env: UiEnv;
  initialLang: Lang;
  origin: string;
  newSessionId: () => string;
  /** The page opened a call link (so this side never sends it). */
  openedFromLink: boolean;
  /** A link opened inside a messenger's browser: not joined until the user chooses to stay. */
  pendingJoin: { sessionId: string; app: AppName } | null;
}

/** The whole UI: renders the controller's state; commands go back to the controller. */
export function App({ controller, env, initialLang, origin, newSessionId, openedFromLink, pendingJoin }: Props) {
  const [lang, setLang] = useState<Lang>(initialLang);
  const [settingsOpen, setSettingsOpen] = useState(false);
  const [isHost, setHost] = useState(!openedFromLink);
  const [inApp, setInApp] = useState(pendingJoin);
  const [lastCall, setLastCall] = useState(env.prefs.lastCall());
  const [toneOn, setToneOn] = useState(env.prefs.waitingTone());
  const [outputId, setOutputId] = useState(env.prefs.outputId());
  const [soundBlocked, setSoundBlocked] = useState(false);
  const [soundRequest, setSoundRequest] = useState(0);
  const [receiveOnly, setReceiveOnly] = useState(false);
  useVersion(controller);
  const view = controller.view;
  const state = view.state;
  const dataState = screenState(state);
  const i18n = useMemo(() => ({ lang, t: translator(lang) }), [lang]);
  const { t } = i18n;
  const online = useOnline();
  const { waitingSince, activeSince } = useCallMoments(state, toneOn, env);

  useEffect(() => {
    document.documentElement.dataset.state = dataState;
    document.documentElement.lang = lang;
    document.title = t('appName');
  }, [dataState, lang]);
  useEffect(() => {
    if (state.kind !== 'call') setSoundBlocked(false);
    if (state.kind === 'home') setLastCall(env.prefs.lastCall());
  }, [state.kind]);
  useEffect(() => {
    if (!view.mediaError) setReceiveOnly(false);
  }, [view.mediaError]);
  // Any tap may be the gesture a suspended AudioContext waits for.
  useEffect(() => {
    const unlock = () => env.cues.unlock();
    document.addEventListener('pointerdown', unlock, { capture: true });
    return () => document.removeEventListener('pointerdown', unlock, { capture: true });
  }, []);

  const start = (sessionId: string, host: boolean) => {
    setHost(host);
    controller.dispatch({ type: 'start', sessionId });
  };
  const copied = (ok: boolean) => controller.toasts.show(ok ? 'copied' : 'copyFailed', ok ? 'good' : 'warn');
  const needsHelp = view.mediaError === 'denied' || view.mediaError === 'busy';
  // A control with no device behind it brings the help back instead of doing nothing.
  const orHelp = (fn: () => void) => () => (needsHelp ? setReceiveOnly(false) : fn());

  let screen: JSX.Element;
  switch (state.kind) {
    case 'home':
      screen = inApp ? (
        <InAppScreen
          app={inApp.app}
          url={`${origin}/?session=${inApp.sessionId}`}
          onCopied={copied}
          onStay={() => {
            setInApp(null);
            start(inApp.sessionId, false);
          }}
        />
      ) : (
        <HomeScreen
          onConnect={() => start(newSessionId(), true)}
          lastCall={lastCall}
          onLastCall={() => lastCall && start(lastCall, true)}
          onForget={() => {
            env.prefs.setLastCall(null);
            setLastCall(null);
          }}
        />
      );
      break;
    case 'call':
      screen =
        needsHelp && !receiveOnly ? (
          <MediaHelpScreen
            reason={view.mediaError === 'busy' ? 'busy' : 'denied'}
            onRetry={() => controller.retryMedia()}
            onReceiveOnly={() => setReceiveOnly(true)}
          />
        ) : (
          <CallScreen
            view={view}
            inviteUrl={`${origin}/?session=${state.sessionId}`}
            isHost={isHost}
            canSwitch={view.devices.cameras.length > 1}
            waitingSince={waitingSince}
            activeSince={activeSince}
            soundBlocked={soundBlocked}
            soundRequest={soundRequest}
            outputId={outputId}
            onMic={orHelp(() => controller.toggleMic())}
            onCamera={orHelp(() => controller.toggleCamera())}
            onSwitch={() => void controller.switchCamera()}
            onHangup={() => controller.dispatch({ type: 'hangup' })}
            onCopied={copied}
            onNeedsTap={() => setSoundBlocked(true)}
            onSound={() => setSoundBlocked(false)}
            onSoundButton={() => setSoundRequest((n) => n + 1)}
            toasts={<ToastLayer toasts={controller.toasts.items} onDismiss={(id) => controller.toasts.dismiss(id)} />}
          />
        );
      break;
    case 'ended':
      screen = (
        <MessageScreen
          kind="ended"
          title={t('endedTitle')}
          text={t(END_TEXT[state.reason])}
          onCallAgain={() => start(state.sessionId, isHost)}
          onHome={() => controller.dispatch({ type: 'go-home' })}
        />
      );
      break;
    case 'not-found':
      screen = (
        <MessageScreen
          kind="not-found"
          title={t('notFoundTitle')}
          text={t('notFoundText')}
          onHome={() => controller.dispatch({ type: 'go-home' })}
        />
      );
      break;
    case 'refused':
      screen = (
        <MessageScreen
          kind="refused"
          title={t('refusedTitle')}
          text={t(REFUSAL_TEXT[state.code] ?? 'errGeneric')}
          onHome={() => controller.dispatch({ type: 'go-home' })}
        />
      );
      break;
  }

  const inCallScreen = state.kind === 'call' && !(needsHelp && !receiveOnly);
  return (
    <UiEnvContext.Provider value={env}>
      <I18nContext.Provider value={i18n}>
        <div
          class={`app state-${dataState}${inCallScreen ? ' in-call' : ''}`}
          data-state={dataState}
          data-signal={state.kind === 'call' ? state.signal : 'none'}
        >
          {!online ? (
            <Banner text={t('offlineBanner')} testid="offline-banner" />
          ) : state.kind === 'call' && state.signal === 'offline' ? (
            <Banner text={t('signalBanner')} testid="signal-banner" />
          ) : null}
          <div class="frame">
            <SettingsButton variant={inCallScreen ? 'dark' : 'light'} onOpen={() => setSettingsOpen(true)} />
            <main class="main">{screen}</main>
            {inCallScreen ? null : (
              <ToastLayer toasts={controller.toasts.items} onDismiss={(id) => controller.toasts.dismiss(id)} />
            )}
          </div>
          {settingsOpen ? (
            <SettingsPanel
              devices={view.devices}
              currentAudio={controller.currentDevice('audio')}
              currentVideo={controller.currentDevice('video')}
              onOpen={() => void controller.refreshDevices()}
              onChoose={(kind, id) => void controller.chooseDevice(kind, id)}
              onLanguage={(l) => {
                setLang(l);
                env.prefs.setLang(l);
              }}
              waitingTone={toneOn}
              onWaitingTone={(on) => {
                setToneOn(on);
                env.prefs.setWaitingTone(on);
              }}
              outputId={outputId}
              onOutput={(id) => {
                setOutputId(id);
                env.prefs.setOutputId(id);
              }}
              onClose={() => setSettingsOpen(false)}
            />
          ) : null}
        </div>
      </I18nContext.Provider>
    </UiEnvContext.Provider>
  );
}
