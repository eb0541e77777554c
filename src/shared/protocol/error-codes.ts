/** Stable error codes of protocol.md, "Error codes". */
export const ErrorCode = {
  BAD_MESSAGE: 'BAD_MESSAGE',
  BAD_SESSION_ID: 'BAD_SESSION_ID',
  NOT_JOINED: 'NOT_JOINED',
  SESSION_FULL: 'SESSION_FULL',
  SESSION_ENDED: 'SESSION_ENDED',
  SIGNAL_NOT_FOUND: 'SIGNAL_NOT_FOUND',
  TOO_LARGE: 'TOO_LARGE',
  RATE_LIMITED: 'RATE_LIMITED',
  QUEUE_FULL: 'QUEUE_FULL',
  SERVER_BUSY: 'SERVER_BUSY',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** Default human text sent with each code (Russian, as protocol.md specifies). */
export const ERROR_MESSAGES: Readonly<Record<ErrorCode, string>> = {
  BAD_MESSAGE: 'Некорректное сообщение',
  BAD_SESSION_ID: 'Некорректная ссылка',
  NOT_JOINED: 'Сначала нужно подключиться к сеансу',
  SESSION_FULL: 'Сеанс уже занят двумя участниками',
  SESSION_ENDED: 'Сеанс завершён',
  SIGNAL_NOT_FOUND: 'Сигнал не найден',
  TOO_LARGE: 'Сообщение слишком большое',
  RATE_LIMITED: 'Слишком много сообщений',
  QUEUE_FULL: 'Собеседник недоступен, сообщение не доставлено',
  SERVER_BUSY: 'Сервер перегружен, попробуйте позже',
};

/** WebSocket close codes of either side (RFC 6455, the IANA registry, and one private code). */
export const CloseCode = {
  NORMAL: 1000,
  GOING_AWAY: 1001,
  UNSUPPORTED_DATA: 1003,
  POLICY_VIOLATION: 1008,
  TOO_LARGE: 1009,
  INTERNAL_ERROR: 1011,
  SERVICE_RESTART: 1012,
  TRY_AGAIN_LATER: 1013,
  /**
   * The client's own code for a socket it gave up on (no pong in time). Private range, and
   * not 1000/1001, so the server treats it as a drop and holds the place (rule 6).
   */
  CLIENT_LIVENESS: 4000,
} as const;
export type CloseCode = (typeof CloseCode)[keyof typeof CloseCode];

/** What an error is (style.md §4); the server logs each kind at its own level. */
export const ErrorKind = {
  /** Garbage or a rule broken by the peer; logged at warn. */
  PROTOCOL: 'protocol',
  /** A refusal the protocol expects (full, ended, busy, queue full); logged at info. */
  REFUSAL: 'refusal',
  /** A bug of ours: a generic reply, full detail logged at error. */
  INTERNAL: 'internal',
} as const;
export type ErrorKind = (typeof ErrorKind)[keyof typeof ErrorKind];

/** How one error code behaves on the wire. */
export interface ErrorSpec {
  readonly kind: ErrorKind;
  /** The close code used when this error ends the socket; null when it never does. */
  readonly close: CloseCode | null;
  /** Whether the same request may succeed later without anything changing on the client. */
  readonly retry: boolean;
}

const { PROTOCOL, REFUSAL, INTERNAL } = ErrorKind;

/** Every error code with its kind, close code and whether a client may retry (protocol.md "Error codes"). */
export const ERRORS: Readonly<Record<ErrorCode, ErrorSpec>> = {
  // Closes only for a binary frame.
  BAD_MESSAGE: { kind: PROTOCOL, close: CloseCode.UNSUPPORTED_DATA, retry: false },
  BAD_SESSION_ID: { kind: PROTOCOL, close: null, retry: false },
  // Closes at the join timeout.
  NOT_JOINED: { kind: PROTOCOL, close: CloseCode.POLICY_VIOLATION, retry: false },
  SIGNAL_NOT_FOUND: { kind: PROTOCOL, close: null, retry: false },
  TOO_LARGE: { kind: PROTOCOL, close: CloseCode.TOO_LARGE, retry: false },
  // Closes on persistent abuse; a single dropped frame may be sent again later.
  RATE_LIMITED: { kind: PROTOCOL, close: CloseCode.POLICY_VIOLATION, retry: true },
  SESSION_FULL: { kind: REFUSAL, close: CloseCode.POLICY_VIOLATION, retry: false },
  // Closes a refused join; a frame on an ended socket is answered without a close.
  SESSION_ENDED: { kind: REFUSAL, close: CloseCode.NORMAL, retry: false },
  QUEUE_FULL: { kind: REFUSAL, close: null, retry: true },
  SERVER_BUSY: { kind: REFUSAL, close: CloseCode.TRY_AGAIN_LATER, retry: true },
};

/** A bug on the server: sent as SERVER_BUSY (no internals reach the client), then close 1011. */
export const INTERNAL_ERROR = {
  code: ErrorCode.SERVER_BUSY,
  kind: INTERNAL,
  close: CloseCode.INTERNAL_ERROR,
  retry: true,
} as const satisfies ErrorSpec & { readonly code: ErrorCode };
