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

const CODES: ReadonlySet<string> = new Set(Object.values(ErrorCode));
export const isErrorCode = (value: unknown): value is ErrorCode => typeof value === 'string' && CODES.has(value);

/** WebSocket close codes the server uses (RFC 6455 and the IANA registry). */
export const CloseCode = {
  NORMAL: 1000,
  GOING_AWAY: 1001,
  UNSUPPORTED_DATA: 1003,
  POLICY_VIOLATION: 1008,
  TOO_LARGE: 1009,
  SERVICE_RESTART: 1012,
  TRY_AGAIN_LATER: 1013,
} as const;
export type CloseCode = (typeof CloseCode)[keyof typeof CloseCode];
