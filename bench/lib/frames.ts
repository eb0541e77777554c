/** The payloads of a scripted call: realistic sizes, built once. */

/** An SDP of about `bytes` characters with the shape of Chromium's (audio + video + data). */
export function makeSdp(kind: 'offer' | 'answer', bytes: number): string {
  const head = [
    'v=0',
    `o=- 46117317${kind === 'offer' ? 1 : 2}5960718 2 IN IP4 127.0.0.1`,
    's=-',
    't=0 0',
    'a=group:BUNDLE 0 1 2',
    'a=extmap-allow-mixed',
    'a=msid-semantic: WMS bench',
    'm=audio 9 UDP/TLS/RTP/SAVPF 111 63 9 0 8 13 110 126',
    'c=IN IP4 0.0.0.0',
    'a=rtcp:9 IN IP4 0.0.0.0',
    'a=ice-ufrag:Bnch',
    'a=ice-pwd:benchbenchbenchbenchbenc',
    'a=ice-options:trickle',
    'a=fingerprint:sha-256 4F:2C:19:8A:77:0B:DE:10:3A:5C:6E:91:AB:CD:EF:01:23:45:67:89:9A:BC:DE:F0:11:22:33:44:55:66:77:88',
    `a=setup:${kind === 'offer' ? 'actpass' : 'active'}`,
    'a=mid:0',
    'a=sendrecv',
    'a=rtcp-mux',
    'a=rtpmap:111 opus/48000/2',
    'a=rtcp-fb:111 transport-cc',
    'a=fmtp:111 minptime=10;useinbandfec=1',
    'm=video 9 UDP/TLS/RTP/SAVPF 96 97 102 103 104 105 106 107 108 109',
    'c=IN IP4 0.0.0.0',
    'a=mid:1',
    'a=sendrecv',
  ];
  const lines = [...head];
  let pt = 96;
  while (lines.join('\r\n').length < bytes - 64) {
    lines.push(`a=rtpmap:${pt} VP8/90000`, `a=rtcp-fb:${pt} goog-remb`, `a=rtcp-fb:${pt} nack pli`);
    pt = pt >= 127 ? 96 : pt + 1;
  }
  let sdp = `${lines.join('\r\n')}\r\n`;
  while (sdp.length < bytes) sdp += 'a=x\r\n';
  return sdp.slice(0, bytes);
}

/** The i-th of a call's host/srflx/relay candidates, as a browser would send it. */
export function makeCandidate(i: number, side: 'a' | 'b'): string {
  const types = ['host', 'host', 'srflx', 'srflx', 'relay', 'host', 'srflx', 'relay'];
  const type = types[i % types.length];
  const ip = side === 'a' ? `192.0.2.${10 + i}` : `198.51.100.${10 + i}`;
  const port = 50000 + i * 7 + (side === 'a' ? 0 : 1);
  const raddr = type === 'host' ? '' : ' raddr 0.0.0.0 rport 0';
  return `candidate:${1467250027 + i} 1 udp ${2122260223 - i * 1000} ${ip} ${port} typ ${type}${raddr} generation 0 ufrag Bnch network-id ${i % 3} network-cost 10`;
}
