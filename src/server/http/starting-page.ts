import type { IncomingMessage, ServerResponse } from 'node:http';
import { applySecurityHeaders } from './security-headers.js';

/** Seconds after which the page reloads itself (and a client may retry). */
const RETRY_AFTER_S = 10;

// Served before the web client exists for this origin, so it cannot use src/web/i18n: both
// languages are on the page (Russian first, as in the app). No script, no style: the CSP holds.
const PAGE = `<!doctype html>
<html lang="ru">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="refresh" content="${RETRY_AFTER_S}">
<title>HomeCall: получаем сертификат / getting a certificate</title>
</head>
<body>
<main data-testid="starting-page">
<h1>Сервер получает сертификат</h1>
<p>HomeCall только что запущен и получает HTTPS-сертификат для этого адреса. Обычно это занимает меньше минуты; страница обновится сама.</p>
<h1 lang="en">The server is getting its certificate</h1>
<p lang="en">HomeCall has just started and is getting an HTTPS certificate for this address. This usually takes less than a minute; the page reloads by itself.</p>
</main>
</body>
</html>
`;

/** 503 with a page saying the certificate is on its way (ACME, before the first certificate). */
export function sendStartingPage(req: IncomingMessage, res: ServerResponse): void {
  applySecurityHeaders(res);
  res.writeHead(503, {
    'Content-Type': 'text/html; charset=utf-8',
    'Content-Length': Buffer.byteLength(PAGE),
    'Cache-Control': 'no-store',
    'Retry-After': String(RETRY_AFTER_S),
  });
  res.end(req.method === 'HEAD' ? undefined : PAGE);
}
