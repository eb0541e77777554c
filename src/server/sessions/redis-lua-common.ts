/**
 * The Lua every registry script starts with (Redis 7.0 commands only, so Debian's redis-server
 * and Valkey both serve). ARGV[1] is the key prefix, ARGV[2] the epoch the node believes in,
 * ARGV[3] the time in ms or '' for Redis `TIME` (tests pass a fake clock's time), which `now()`
 * asks only when a step needs it. A script
 * whose epoch is not the current one answers `{k="EPOCH"}` and changes nothing: Redis lost its
 * data (a restart) and the node must restore what it holds first.
 *
 * A session is the hash `P s:{sid}` (`ctx`, `created`, `restored`, and per place p: `st`p
 * free|attached|held, `occ`p occupant, `gen`p, `link`p and `node`p of the attached socket,
 * `qb`p queued bytes, `pc`p peer changed while held, `at`p held since, `un`p hold deadline),
 * the lists `P q:{sid}:p` (frames waiting for place p), `P live` (sid -> created, for the
 * capacity), `P holds` (`sid|p` -> deadline, for the sweeper), `P n:<node>` (the `sid|p`
 * attached on a node), `P nodes` (node -> last heartbeat) and `P t:<ctx>` (tombstones of
 * ended contexts). The session hash's `seen` lists, space-separated, every node a place of the
 * context was ever attached on (the nodes that may have minted TURN credentials for it). Each
 * node listens on `P ch:<node>` only. Every key carries a TTL. A step reads the session hash once
 * (`open`: one HMGET of every field) and writes it once (`store`: one HSET), so its cost in
 * commands is what it must change, not how many fields it looks at.
 */
export const LUA_PRELUDE = `
local P = ARGV[1]
local function epoch_ok()
  return redis.call('GET', P .. 'epoch') == ARGV[2]
end
local clock_ms = tonumber(ARGV[3])
-- Redis TIME, asked once and only by a step that needs the time (routing a frame to a present
-- peer, a hangup and a second join on a live node do not).
local function now()
  if not clock_ms then
    local t = redis.call('TIME')
    clock_ms = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
  end
  return clock_ms
end
local function skey(sid) return P .. 's:{' .. sid .. '}' end
local function qkey(sid, p) return P .. 'q:{' .. sid .. '}:' .. p end
local function nkey(node) return P .. 'n:' .. node end
local function member(sid, p) return sid .. '|' .. p end
local function fields(p, out)
  for _, f in ipairs({ 'st', 'occ', 'gen', 'link', 'node', 'qb', 'pc', 'at', 'un' }) do out[#out + 1] = f .. p end
  return out
end
local function place_of(p, v, i)
  return { p = p, st = v[i] or 'free', occ = v[i + 1] or '', gen = tonumber(v[i + 2] or '0'), link = v[i + 3] or '',
    node = v[i + 4] or '', qb = tonumber(v[i + 5] or '0'), pc = v[i + 6] == '1', at = tonumber(v[i + 7] or '0'),
    un = tonumber(v[i + 8] or '0') }
end
local function load(k, p)
  return place_of(p, redis.call('HMGET', k, unpack(fields(p, {}))), 1)
end
-- The whole session in one read: ctx (false when there is none), created, restored, seen, and
-- both places as s[0] and s[1].
local OPEN = fields(1, fields(0, { 'ctx', 'created', 'restored', 'seen' }))
local function open(sid)
  local k = skey(sid)
  local v = redis.call('HMGET', k, unpack(OPEN))
  local s = { sid = sid, k = k, ctx = v[1], created = tonumber(v[2] or '0'), restored = v[3] == '1',
    seen = v[4] or ' ', seen_changed = false }
  s[0] = place_of(0, v, 5)
  s[1] = place_of(1, v, 14)
  return s
end
local function put(out, r)
  local p = r.p
  out[#out + 1] = 'st' .. p; out[#out + 1] = r.st
  out[#out + 1] = 'occ' .. p; out[#out + 1] = r.occ
  out[#out + 1] = 'gen' .. p; out[#out + 1] = r.gen
  out[#out + 1] = 'link' .. p; out[#out + 1] = r.link
  out[#out + 1] = 'node' .. p; out[#out + 1] = r.node
  out[#out + 1] = 'qb' .. p; out[#out + 1] = r.qb
  out[#out + 1] = 'pc' .. p; out[#out + 1] = r.pc and '1' or '0'
  out[#out + 1] = 'at' .. p; out[#out + 1] = r.at
  out[#out + 1] = 'un' .. p; out[#out + 1] = r.un
  return out
end
local function save(k, r)
  redis.call('HSET', k, unpack(put({}, r)))
end
-- One write of the session: the places given, \`extra\` field-value pairs, and \`seen\` if it grew.
local function store(s, places, extra)
  local out = extra or {}
  for _, r in ipairs(places) do put(out, r) end
  if s.seen_changed then
    out[#out + 1] = 'seen'; out[#out + 1] = s.seen
    s.seen_changed = false
  end
  if #out > 0 then redis.call('HSET', s.k, unpack(out)) end
end
local function notify(node, msg)
  return redis.call('PUBLISH', P .. 'ch:' .. node, cjson.encode(msg))
end
local function unbind(sid, r)
  if r.node ~= '' then redis.call('SREM', nkey(r.node), member(sid, r.p)) end
  r.node = ''
  r.link = ''
end
-- Only a held place is in \`P holds\` (hold() adds it; clear, attach and drop take it out), and
-- only a place with queued bytes has a queue (every frame is at least one byte): the others
-- cost no command.
local function unhold(sid, r)
  if r.st == 'held' then redis.call('ZREM', P .. 'holds', member(sid, r.p)) end
end
local function clear(sid, r)
  unbind(sid, r)
  unhold(sid, r)
  if r.qb > 0 then redis.call('DEL', qkey(sid, r.p)) end
  r.st = 'free'; r.occ = ''; r.gen = 0; r.qb = 0; r.pc = false; r.un = 0
end
local function hold(sid, r, grace)
  unbind(sid, r)
  r.st = 'held'; r.at = now(); r.un = now() + grace
  redis.call('ZADD', P .. 'holds', r.un, member(sid, r.p))
  redis.call('PEXPIRE', P .. 'holds', grace * 4 + 60000)
end
local function drain(sid, r)
  if r.qb == 0 then return {} end
  local q = redis.call('LRANGE', qkey(sid, r.p), 0, -1)
  redis.call('DEL', qkey(sid, r.p))
  r.qb = 0
  return q
end
local function attach(s, r, occ, gen, link, node, ttl)
  -- A place taken from a socket on another node leaves that node's set (no member left behind).
  unbind(s.sid, r)
  unhold(s.sid, r)
  r.st = 'attached'; r.occ = occ; r.gen = gen; r.link = link; r.node = node; r.un = 0
  redis.call('SADD', nkey(node), member(s.sid, r.p))
  redis.call('PEXPIRE', nkey(node), ttl)
  if not string.find(s.seen, ' ' .. node .. ' ', 1, true) then
    s.seen = s.seen .. node .. ' '
    s.seen_changed = true
  end
end
-- The context is gone: every node a place of it was ever attached on hears it on its channel
-- (its TURN credentials stop working there, also on a node that holds no place of it any more).
-- Only those nodes can have minted credentials for it: the others hear nothing, nor does the
-- node running the step (from; '' for the sweeper), which learns it from the reply. \`s\` holds
-- the places as they are now (a place the step changed, as changed).
local function drop(s, from)
  for node in string.gmatch(s.seen, '%S+') do
    if node ~= from then notify(node, { t = 'ctxend', c = s.ctx }) end
  end
  for p = 0, 1 do
    unbind(s.sid, s[p])
    unhold(s.sid, s[p])
  end
  redis.call('DEL', s.k, qkey(s.sid, 0), qkey(s.sid, 1))
  redis.call('ZREM', P .. 'live', s.sid)
end
local function node_dead(node, timeout)
  local t = redis.call('ZSCORE', P .. 'nodes', node)
  return (not t) or now() - tonumber(t) > timeout
end
local function peer_event(sid, ctx, r, state, from)
  if r.st == 'attached' and r.node ~= from then
    notify(r.node, { t = 'peer', l = r.link, s = sid, c = ctx, st = state })
    return false
  end
  if r.st == 'attached' then return r.link end
  return false
end
-- Sessions alive for the capacity: \`P live\` is pruned of the entries older than a session's
-- lifetime only when it looks full (pruning never admits more than it refuses).
local function at_capacity(max, ttl)
  if redis.call('ZCARD', P .. 'live') < max then return false end
  redis.call('ZREMRANGEBYSCORE', P .. 'live', '-inf', now() - ttl)
  return redis.call('ZCARD', P .. 'live') >= max
end
`;
