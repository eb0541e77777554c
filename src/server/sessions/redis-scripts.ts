/**
 * The session steps as Lua scripts: each is one atomic EVALSHA (see redis-lua-common.ts for the
 * keys). Every step checks that the node changing a place is the node that holds it, so a late
 * close from an old node never undoes a newer attach. Replies are JSON (cjson).
 */
import { LUA_PRELUDE } from './redis-lua-common.js';

const script = (body: string) =>
  `${LUA_PRELUDE}\nif not epoch_ok() then return cjson.encode({ k = 'EPOCH' }) end\n${body}`;

/** join: sid link node ctx occ maxSessions ttl nodeTimeout grace */
export const JOIN = script(`
local sid, link, node = ARGV[4], ARGV[5], ARGV[6]
local ttl, timeout, grace = tonumber(ARGV[10]), tonumber(ARGV[11]), tonumber(ARGV[12])
local s = open(sid)
if not s.ctx then
  if at_capacity(tonumber(ARGV[9]), ttl) then return cjson.encode({ k = 'busy' }) end
  s.ctx = ARGV[7]
  redis.call('ZADD', P .. 'live', now(), sid)
  redis.call('PEXPIRE', P .. 'live', ttl)
  attach(s, s[0], ARGV[8], 1, link, node, ttl)
  store(s, { s[0], s[1] }, { 'ctx', s.ctx, 'created', now(), 'restored', '0' })
  redis.call('PEXPIRE', s.k, ttl)
  return cjson.encode({ k = 'admitted', ctx = s.ctx, created = now(), place = 0, occ = ARGV[8], gen = 1,
    fresh = true, other = 'free', otherLink = false, queued = {}, tookOver = false })
end
local ctx = s.ctx
local a, b = s[0], s[1]
-- Lazy liveness: a place attached on a node that stopped heart-beating counts as held, so a
-- dead node never makes a session answer "full", whatever the sweeper's pace.
for p = 0, 1 do
  local r = s[p]
  if r.st == 'attached' and node_dead(r.node, timeout) then
    notify(r.node, { t = 'lost', l = r.link })
    hold(sid, r, grace)
  end
end
local r, tookOver
if a.st == 'free' or b.st == 'free' then
  r = (a.st == 'free') and a or b
  tookOver = false
elseif a.st == 'held' or b.st == 'held' then
  if a.st == 'held' and (b.st ~= 'held' or a.at <= b.at) then r = a else r = b end
  tookOver = true
else
  -- Neither place is held, so the liveness check above changed nothing.
  return cjson.encode({ k = 'full' })
end
local other = s[1 - r.p]
if other.st == 'held' then other.pc = true end
local queued = {}
if tookOver then clear(sid, r) else queued = drain(sid, r) end
attach(s, r, ARGV[8], 1, link, node, ttl)
store(s, { a, b })
local otherLink = peer_event(sid, ctx, other, 'joined', node)
return cjson.encode({ k = 'admitted', ctx = ctx, created = s.created, place = r.p,
  occ = ARGV[8], gen = 1, fresh = false, other = other.st, otherLink = otherLink, queued = queued,
  tookOver = tookOver })
`);

/** resume: sid ctx place occ gen issuedAt createdAt link node mayRestore newOcc maxSessions ttl grace */
export const RESUME = script(`
local sid, ctx, place, occ, gen = ARGV[4], ARGV[5], tonumber(ARGV[6]), ARGV[7], tonumber(ARGV[8])
local issuedAt, createdAt, link, node = tonumber(ARGV[9]), tonumber(ARGV[10]), ARGV[11], ARGV[12]
local ttl, grace = tonumber(ARGV[16]), tonumber(ARGV[17])
local s = open(sid)
if not s.ctx then
  if redis.call('EXISTS', P .. 't:' .. ctx) == 1 then return cjson.encode({ k = 'ended' }) end
  local may = ARGV[13] == '1'
  if not may then
    -- Rule 7 across a Redis restart: the token predates the data loss, which is recent.
    local since = tonumber(string.match(ARGV[2], ':(%d+)$') or '0')
    may = issuedAt < since and now() - since <= grace
  end
  if not may then return cjson.encode({ k = 'ended' }) end
  if at_capacity(tonumber(ARGV[15]), ttl) then return cjson.encode({ k = 'busy' }) end
  s.ctx = ctx
  redis.call('ZADD', P .. 'live', createdAt, sid)
  local other = s[1 - place]
  hold(sid, other, grace)
  attach(s, s[place], occ, gen + 1, link, node, ttl)
  store(s, { s[0], s[1] }, { 'ctx', ctx, 'created', createdAt, 'restored', '1' })
  redis.call('PEXPIRE', s.k, ttl)
  return cjson.encode({ k = 'resumed', ctx = ctx, created = createdAt, place = place, occ = occ, gen = gen + 1,
    fresh = true, other = 'held', otherLink = false, queued = {}, replacedLink = false, restored = true,
    rejoined = false, otherChanged = false })
end
if s.ctx ~= ctx then return cjson.encode({ k = 'ended' }) end
local r = s[place]
local other = s[1 - place]
local awaiting = s.restored and r.st == 'held' and r.occ == ''
local rejoined = false
if r.occ ~= occ and not awaiting then
  if r.st ~= 'free' then return cjson.encode({ k = 'full' }) end
  -- The place was freed (its grace ran out): come back as a newcomer.
  if other.st == 'held' then other.pc = true end
  clear(sid, r)
  occ = ARGV[14]
  gen = 0
  rejoined = true
elseif not awaiting and r.gen ~= gen then
  return cjson.encode({ k = 'stale' })
end
local replacedLink = false
if r.st == 'attached' then
  if r.node == node then replacedLink = r.link else notify(r.node, { t = 'lost', l = r.link }) end
end
local otherChanged = r.pc
r.pc = false
local newGen = (awaiting or rejoined) and gen + 1 or r.gen + 1
local queued = drain(sid, r)
attach(s, r, occ, newGen, link, node, ttl)
store(s, { r, other })
local otherLink = peer_event(sid, ctx, other, rejoined and 'joined' or 'back', node)
return cjson.encode({ k = 'resumed', ctx = ctx, created = s.created, place = place,
  occ = occ, gen = newGen, fresh = false, other = other.st, otherLink = otherLink, queued = queued,
  replacedLink = replacedLink, restored = false, rejoined = rejoined, otherChanged = otherChanged })
`);

/** route: sid ctx place link node text bytes maxFrames maxBytes ttl grace seq */
export const ROUTE = script(`
local sid, ctx, place, link, node = ARGV[4], ARGV[5], tonumber(ARGV[6]), ARGV[7], ARGV[8]
local bytes, ttl, grace = tonumber(ARGV[10]), tonumber(ARGV[13]), tonumber(ARGV[14])
local s = open(sid)
if s.ctx ~= ctx then return cjson.encode({ k = 'stale' }) end
local mine = s[place]
if mine.st ~= 'attached' or mine.link ~= link or mine.node ~= node then return cjson.encode({ k = 'stale' }) end
local other = s[1 - place]
if other.st == 'attached' then
  if other.node == node then return cjson.encode({ k = 'deliver', link = other.link }) end
  local n = notify(other.node, { t = 'frame', l = other.link, s = sid, c = ctx, p = place, f = link,
    q = tonumber(ARGV[15]), x = ARGV[9] })
  if n > 0 then return cjson.encode({ k = 'forwarded' }) end
  -- Nobody listens on that node any more: it is gone. Hold its place and keep the frame.
  hold(sid, other, grace)
  save(s.k, other)
  notify(node, { t = 'peer', l = link, s = sid, c = ctx, st = 'away' })
end
local q = qkey(sid, other.p)
if redis.call('LLEN', q) >= tonumber(ARGV[11]) or other.qb + bytes > tonumber(ARGV[12]) then
  return cjson.encode({ k = 'queue-full' })
end
redis.call('RPUSH', q, ARGV[9])
redis.call('PEXPIRE', q, ttl)
redis.call('HSET', s.k, 'qb' .. other.p, other.qb + bytes)
return cjson.encode({ k = 'queued' })
`);

/** leave: sid ctx place link node mode grace */
export const LEAVE = script(`
local sid, ctx, place, link, node, mode = ARGV[4], ARGV[5], tonumber(ARGV[6]), ARGV[7], ARGV[8], ARGV[9]
local s = open(sid)
if s.ctx ~= ctx then return cjson.encode({ k = 'stale' }) end
local mine = s[place]
if mine.st ~= 'attached' or mine.link ~= link or mine.node ~= node then return cjson.encode({ k = 'stale' }) end
local kind
if mode == 'free' then clear(sid, mine); kind = 'freed' else hold(sid, mine, tonumber(ARGV[10])); kind = 'held' end
local other = s[1 - place]
local dropped = kind == 'freed' and other.st == 'free'
if dropped then drop(s, node) else save(s.k, mine) end
local otherLink = peer_event(sid, ctx, other, kind == 'freed' and 'left' or 'away', node)
return cjson.encode({ k = kind, other = other.st, otherLink = otherLink, dropped = dropped })
`);

/** expire: sid ctx place occ node gen ('' occ: a restored place that waits for its own participant; '' gen: any) */
export const EXPIRE = script(`
local sid, ctx, place, occ, node, gen = ARGV[4], ARGV[5], tonumber(ARGV[6]), ARGV[7], ARGV[8], ARGV[9]
local s = open(sid)
if s.ctx ~= ctx then return cjson.encode({ k = 'stale' }) end
local mine = s[place]
-- A grace timer of an earlier hold (on a node the participant left) must not free a newer hold early.
if mine.st ~= 'held' or mine.occ ~= occ or (gen ~= '' and mine.gen ~= tonumber(gen)) then
  return cjson.encode({ k = 'stale' })
end
clear(sid, mine)
local other = s[1 - place]
local dropped = other.st == 'free'
if dropped then drop(s, node) else save(s.k, mine) end
local otherLink = peer_event(sid, ctx, other, 'left', node)
return cjson.encode({ k = 'freed', other = other.st, otherLink = otherLink, dropped = dropped })
`);

/** end: sid ctx node tombstoneMs reason */
export const END = script(`
local sid, ctx, node = ARGV[4], ARGV[5], ARGV[6]
local s = open(sid)
if s.ctx ~= ctx then return cjson.encode({ k = 'stale' }) end
local links, remote = {}, {}
for p = 0, 1 do
  local r = s[p]
  if r.st == 'attached' then
    if r.node == node then table.insert(links, r.link) else table.insert(remote, { node = r.node, link = r.link }) end
  end
end
-- Each node hears the context's end (its TURN credentials stop) before its socket hears the hangup.
drop(s, node)
for _, r in ipairs(remote) do notify(r.node, { t = 'ended', l = r.link, s = sid, x = ARGV[8] }) end
-- Rule 5: the context is never resumed nor restored; the tombstone outlives any token.
redis.call('SET', P .. 't:' .. ctx, '1', 'PX', tonumber(ARGV[7]))
return cjson.encode({ k = 'ended', links = links })
`);
/** peek: sid (reads only; no epoch needed) */
export const PEEK = `${LUA_PRELUDE}
local k = skey(ARGV[4])
local v = redis.call('HMGET', k, 'ctx', 'created', 'st0', 'st1')
if not v[1] then return cjson.encode({ k = 'none' }) end
return cjson.encode({ k = 'view', ctx = v[1], created = tonumber(v[2]), places = { v[3] or 'free', v[4] or 'free' } })
`;
