/**
 * The Lua every registry script starts with (Redis 7.0 commands only, so Debian's redis-server
 * and Valkey both serve). ARGV[1] is the key prefix, ARGV[2] the epoch the node believes in,
 * ARGV[3] the time in ms or '' for Redis `TIME` (tests pass a fake clock's time). A script
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
 * node listens on `P ch:<node>` only. Every key carries a TTL.
 */
export const LUA_PRELUDE = `
local P = ARGV[1]
local function epoch_ok()
  return redis.call('GET', P .. 'epoch') == ARGV[2]
end
local now = tonumber(ARGV[3])
if not now then
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local function skey(sid) return P .. 's:{' .. sid .. '}' end
local function qkey(sid, p) return P .. 'q:{' .. sid .. '}:' .. p end
local function nkey(node) return P .. 'n:' .. node end
local function member(sid, p) return sid .. '|' .. p end
local function load(k, p)
  local v = redis.call('HMGET', k, 'st' .. p, 'occ' .. p, 'gen' .. p, 'link' .. p, 'node' .. p,
    'qb' .. p, 'pc' .. p, 'at' .. p, 'un' .. p)
  return { p = p, st = v[1] or 'free', occ = v[2] or '', gen = tonumber(v[3] or '0'), link = v[4] or '',
    node = v[5] or '', qb = tonumber(v[6] or '0'), pc = v[7] == '1', at = tonumber(v[8] or '0'),
    un = tonumber(v[9] or '0') }
end
local function save(k, r)
  local p = r.p
  redis.call('HSET', k, 'st' .. p, r.st, 'occ' .. p, r.occ, 'gen' .. p, r.gen, 'link' .. p, r.link,
    'node' .. p, r.node, 'qb' .. p, r.qb, 'pc' .. p, r.pc and '1' or '0', 'at' .. p, r.at, 'un' .. p, r.un)
end
local function notify(node, msg)
  return redis.call('PUBLISH', P .. 'ch:' .. node, cjson.encode(msg))
end
local function unbind(sid, r)
  if r.node ~= '' then redis.call('SREM', nkey(r.node), member(sid, r.p)) end
  r.node = ''
  r.link = ''
end
local function clear(sid, r)
  unbind(sid, r)
  r.st = 'free'; r.occ = ''; r.gen = 0; r.qb = 0; r.pc = false; r.un = 0
  redis.call('DEL', qkey(sid, r.p))
  redis.call('ZREM', P .. 'holds', member(sid, r.p))
end
local function hold(sid, r, grace)
  unbind(sid, r)
  r.st = 'held'; r.at = now; r.un = now + grace
  redis.call('ZADD', P .. 'holds', r.un, member(sid, r.p))
  redis.call('PEXPIRE', P .. 'holds', grace * 4 + 60000)
end
local function drain(sid, r)
  local q = redis.call('LRANGE', qkey(sid, r.p), 0, -1)
  redis.call('DEL', qkey(sid, r.p))
  r.qb = 0
  return q
end
local function attach(sid, r, occ, gen, link, node, ttl)
  -- A place taken from a socket on another node leaves that node's set (no member left behind).
  unbind(sid, r)
  r.st = 'attached'; r.occ = occ; r.gen = gen; r.link = link; r.node = node; r.un = 0
  redis.call('ZREM', P .. 'holds', member(sid, r.p))
  redis.call('SADD', nkey(node), member(sid, r.p))
  redis.call('PEXPIRE', nkey(node), ttl)
  local k = skey(sid)
  local seen = redis.call('HGET', k, 'seen') or ' '
  if not string.find(seen, ' ' .. node .. ' ', 1, true) then redis.call('HSET', k, 'seen', seen .. node .. ' ') end
end
-- The context is gone: every node a place of it was ever attached on hears it on its channel
-- (its TURN credentials stop working there, also on a node that holds no place of it any more).
-- Only those nodes can have minted credentials for it: the others hear nothing, nor does the
-- node running the step (from; '' for the sweeper), which learns it from the reply.
local function drop(sid, ctx, from)
  local seen = redis.call('HGET', skey(sid), 'seen') or ''
  for node in string.gmatch(seen, '%S+') do
    if node ~= from then notify(node, { t = 'ctxend', c = ctx }) end
  end
  for p = 0, 1 do
    local r = load(skey(sid), p)
    unbind(sid, r)
    redis.call('DEL', qkey(sid, p))
    redis.call('ZREM', P .. 'holds', member(sid, p))
  end
  redis.call('DEL', skey(sid))
  redis.call('ZREM', P .. 'live', sid)
end
local function node_dead(node, timeout)
  local s = redis.call('ZSCORE', P .. 'nodes', node)
  return (not s) or now - tonumber(s) > timeout
end
local function peer_event(sid, ctx, r, state, from)
  if r.st == 'attached' and r.node ~= from then
    notify(r.node, { t = 'peer', l = r.link, s = sid, c = ctx, st = state })
    return false
  end
  if r.st == 'attached' then return r.link end
  return false
end
`;
