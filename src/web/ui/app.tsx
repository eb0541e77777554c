import type { JSX } from 'preact';
import { useEffect, useMemo, useState } from 'preact/hooks';
import type { CallController } from '../core/call-controller.js';
import { type EndReason, screenState } from '../core/call-machine.js';
import { type Lang, type MessageKey, translator } from '../i18n/i18n.js';
import { SettingsButton } from './components/settings-button.js';
import { SettingsPanel } from './components/settings-panel.js';
import { ToastLayer } from './components/toast-layer.js';
import { I18nContext } from './i18n-context.js';
import { CallScreen } from './screens/call-screen.js';
import { HomeScreen } from './screens/home-screen.js';
import { MessageScreen } from './screens/message-screen.js';

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
  initialLang: Lang;
  onLanguage: (lang: Lang) => void;
  origin: string;
  newSessionId: () => string;
}

/** The whole UI: renders the controller's state; commands go back to the controller. */
export function App({ controller, initialLang, onLanguage, origin, newSessionId }: Props) {
  const [, setTick] = useState(0);
  const [lang, setLang] = useState<Lang>(initialLang);
  const [settingsOpen, setSettingsOpen] = useState(false);
  useEffect(() => controller.subscribe(() => setTick((n) => n + 1)), [controller]);
  const view = controller.view;
  const state = view.state;
  const dataState = screenState(state);
  const i18n = useMemo(() => ({ lang, t: translator(lang) }), [lang]);
  const { t } = i18n;

  useEffect(() => {
    document.documentElement.dataset.state = dataState;
    document.documentElement.lang = lang;
    document.title = t('appName');
  }, [dataState, lang]);

  let screen: JSX.Element;
  switch (state.kind) {
    case 'home':
      screen = <HomeScreen onConnect={() => controller.dispatch({ type: 'start', sessionId: newSessionId() })} />;
      break;
    case 'call':
      screen = (
        <CallScreen
          view={view}
          inviteUrl={`${origin}/?session=${state.sessionId}`}
          canSwitch={view.devices.cameras.length > 1}
          onMic={() => controller.toggleMic()}
          onCamera={() => controller.toggleCamera()}
          onSwitch={() => void controller.switchCamera()}
          onHangup={() => controller.dispatch({ type: 'hangup' })}
          onCopied={(ok) => controller.toasts.show(ok ? 'copied' : 'copyFailed', ok ? 'good' : 'warn')}
          onNeedsTap={() => controller.toasts.show('tapForSound', 'info', 8_000)}
        />
      );
      break;
    case 'ended':
      screen = (
        <MessageScreen
          kind="ended"
          title={t('endedTitle')}
          text={t(END_TEXT[state.reason])}
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

  return (
    <I18nContext.Provider value={i18n}>
      <div
        class={`app state-${dataState}`}
        data-state={dataState}
        data-signal={state.kind === 'call' ? state.signal : 'none'}
      >
        <SettingsButton variant={state.kind === 'call' ? 'dark' : 'light'} onOpen={() => setSettingsOpen(true)} />
        <main class="main">{screen}</main>
        <ToastLayer toasts={controller.toasts.items} onDismiss={(id) => controller.toasts.dismiss(id)} />
        {settingsOpen ? (
          <SettingsPanel
            devices={view.devices}
            currentAudio={controller.currentDevice('audio')}
            currentVideo={controller.currentDevice('video')}
            onOpen={() => void controller.refreshDevices()}
            onChoose={(kind, id) => void controller.chooseDevice(kind, id)}
            onLanguage={(l) => {
              setLang(l);
              onLanguage(l);
            }}
            onClose={() => setSettingsOpen(false)}
          />
        ) : null}
      </div>
    </I18nContext.Provider>
  );
}
