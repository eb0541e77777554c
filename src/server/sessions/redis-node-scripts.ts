/**
 * The node-level scripts: heartbeat, the sweeper any node may run (idempotent), restoring what
 * a node holds after Redis lost its data, and checking that a node still owns a place.
 */
import { LUA_PRELUDE } from './redis-lua-common.js';

const script = (body: string) =>
  `${LUA_PRELUDE}\nif not epoch_ok() then return cjson.encode({ k = 'EPOCH' }) end\n${body}`;

/** heartbeat: node ttl. Answers whether the node was still known (not reaped). */
export const HEARTBEAT = script(`
local node, ttl = ARGV[4], tonumber(ARGV[5])
local known = redis.call('ZSCORE', P .. 'nodes', node) ~= false
redis.call('ZADD', P .. 'nodes', now(), node)
redis.call('PEXPIRE', P .. 'nodes', ttl)
redis.call('PEXPIRE', P .. 'epoch', ttl * 10)
redis.call('PEXPIRE', nkey(node), ttl)
return cjson.encode({ k = 'ok', known = known, now = now() })
`);

/**
 * sweep: nodeTimeout grace limit slack. Reaps nodes that stopped heart-beating (their places
 * become held, their peers see "away"), then frees holds whose deadline passed `slack` ago (the
 * node that saw the drop usually frees its own on time; this is the backstop).
 */
export const SWEEP = script(`
local timeout, grace, limit, slack = tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6]), tonumber(ARGV[7])
local reaped, freed = 0, 0
local dead = redis.call('ZRANGEBYSCORE', P .. 'nodes', '-inf', now() - timeout, 'LIMIT', 0, 10)
for _, node in ipairs(dead) do
  for _, m in ipairs(redis.call('SMEMBERS', nkey(node))) do
    local sid, p = string.match(m, '^(.*)|(%d)$')
    local k = skey(sid)
    local r = load(k, tonumber(p))
    if r.st == 'attached' and r.node == node then
      hold(sid, r, grace)
      save(k, r)
      reaped = reaped + 1
      peer_event(sid, redis.call('HGET', k, 'ctx'), load(k, 1 - r.p), 'away', '')
    end
  end
  redis.call('DEL', nkey(node))
  redis.call('ZREM', P .. 'nodes', node)
end
local due = redis.call('ZRANGEBYSCORE', P .. 'holds', '-inf', now() - slack, 'LIMIT', 0, limit)
for _, m in ipairs(due) do
  redis.call('ZREM', P .. 'holds', m)
  local sid, p = string.match(m, '^(.*)|(%d)$')
  local s = open(sid)
  if s.ctx then
    local r = s[tonumber(p)]
    if r.st == 'held' and r.un <= now() - slack then
      clear(sid, r)
      freed = freed + 1
      local other = s[1 - r.p]
      if other.st == 'free' then
        drop(s, '')
      else
        save(s.k, r)
        peer_event(sid, s.ctx, other, 'left', '')
      end
    end
  end
end
return cjson.encode({ k = 'ok', reaped = reaped, freed = freed, dead = #dead })
`);

/**
 * restore: sid ctx place occ gen createdAt link node ttl grace state remainingMs. After Redis lost
 * its data, a node re-asserts a place it holds (attached, or held until a deadline); the other
 * place, unless its own node restores it, waits held like after any restart (rule 7).
 */
export const RESTORE = script(`
local sid, ctx, place, occ, gen = ARGV[4], ARGV[5], tonumber(ARGV[6]), ARGV[7], tonumber(ARGV[8])
local createdAt, link, node, ttl, grace = tonumber(ARGV[9]), ARGV[10], ARGV[11], tonumber(ARGV[12]), tonumber(ARGV[13])
if redis.call('EXISTS', P .. 't:' .. ctx) == 1 then return cjson.encode({ k = 'ended' }) end
local s = open(sid)
local fresh = not s.ctx
if fresh then
  s.ctx = ctx
  redis.call('ZADD', P .. 'live', createdAt, sid)
  redis.call('PEXPIRE', P .. 'live', ttl)
  hold(sid, s[1 - place], grace)
elseif s.ctx ~= ctx then
  return cjson.encode({ k = 'lost' })
end
local r = s[place]
if not (r.st == 'free' or (r.st == 'held' and r.occ == '') or (r.occ == occ and r.gen == gen)) then
  return cjson.encode({ k = 'lost' })
end
if ARGV[14] == 'attached' then
  attach(s, r, occ, gen, link, node, ttl)
else
  unbind(sid, r)
  r.st = 'held'; r.occ = occ; r.gen = gen; r.at = now(); r.un = now() + tonumber(ARGV[15])
  redis.call('ZADD', P .. 'holds', r.un, member(sid, r.p))
  redis.call('PEXPIRE', P .. 'holds', grace * 4 + 60000)
end
if fresh then
  store(s, { s[0], s[1] }, { 'ctx', ctx, 'created', createdAt, 'restored', '1' })
  redis.call('PEXPIRE', s.k, ttl)
else
  store(s, { r })
end
return cjson.encode({ k = 'ok' })
`);

/** owns: sid ctx place link node ttl. Whether the node still holds the place (re-adds it to its set). */
export const OWNS = script(`
local sid, ctx, place, link, node = ARGV[4], ARGV[5], tonumber(ARGV[6]), ARGV[7], ARGV[8]
local k = skey(sid)
if redis.call('HGET', k, 'ctx') ~= ctx then return cjson.encode({ k = 'lost' }) end
local r = load(k, place)
if r.st ~= 'attached' or r.link ~= link or r.node ~= node then return cjson.encode({ k = 'lost' }) end
redis.call('SADD', nkey(node), member(sid, place))
redis.call('PEXPIRE', nkey(node), tonumber(ARGV[9]))
return cjson.encode({ k = 'ok' })
`);

/** tombstone: ctx ms. Re-asserts a hangup this node saw, after Redis lost its data. */
export const TOMBSTONE = `redis.call('SET', ARGV[1] .. 't:' .. ARGV[4], '1', 'PX', ARGV[5])
return '{"k":"ok"}'`;

/**
 * contexts: recentMs (sid ctx)... Whether each context still lives, for a node that may have
 * missed the news of its end (its subscriber was cut): 'live'; 'ended' (hung up, gone, or the
 * id holds a newer context); or 'unsure' (gone without a tombstone while Redis lost its data
 * less than recentMs ago: a resume may still restore it, rule 7).
 */
export const CONTEXTS = script(`
local since = tonumber(string.match(ARGV[2], ':(%d+)$') or '0')
local recent = now() - since <= tonumber(ARGV[4])
local states = {}
for i = 5, #ARGV - 1, 2 do
  local ctx = ARGV[i + 1]
  local current = redis.call('HGET', skey(ARGV[i]), 'ctx')
  local state = 'ended'
  if current == ctx then state = 'live'
  elseif (not current) and recent and redis.call('EXISTS', P .. 't:' .. ctx) == 0 then state = 'unsure' end
  table.insert(states, state)
end
return cjson.encode({ k = 'ok', states = states })
`);
