import { get } from 'node:http';

/**
 * Reads a Prometheus text page (the server's loopback /metrics listener) into name -> value,
 * for the unlabelled samples. No keep-alive: a scrape must not leave a connection open on the
 * server it measures.
 */
export async function scrapeMetrics(url: string, timeoutMs = 30_000): Promise<Map<string, number>> {
  const body = await new Promise<string>((resolve, reject) => {
    const req = get(url, { agent: false, timeout: timeoutMs }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        text += c;
      });
      res.on('end', () => resolve(text));
    });
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error('metrics scrape timed out')));
  });
  const values = new Map<string, number>();
  for (const line of body.split('\n')) {
    const m = /^([a-zA-Z0-9_:]+) ([-0-9.e+]+|NaN)$/.exec(line);
    if (m) values.set(m[1] as string, Number(m[2]));
  }
  return values;
}
