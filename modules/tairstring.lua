-- TairString (exstrtype) over one native hash per key:
--   exstr:version -> version (decimal; its presence marks the key as a TairString)
--   exstr:value   -> value
--   exstr:flags   -> flags (only while non-zero)
-- A hash makes GET/APPEND on a TairString fail with WRONGTYPE, as Tair's do.
-- ARGV conventions: option words arrive normalised by the proxy ('' = absent);
-- an error the proxy found that Tair reports only after its type check arrives
-- as ARGV[1] ('' = none) and is raised right after that check.

local F_VER, F_VAL, F_FLAGS = 'exstr:version', 'exstr:value', 'exstr:flags'

local function is_version_text(s)
    return s and string.find(s, '^%d') ~= nil
end

-- nil: no key; false: a key of another type; else {value, version, flags}.
local function load(key)
    local r = typed_pcall('HMGET', key, F_VER, F_VAL, F_FLAGS)
    if r['err'] then
        return false
    end
    if is_version_text(r[1]) then
        return {r[2] or '', r[1], r[3] or '0'}
    end
    if server.call('EXISTS', key) == 1 then
        return false
    end
    return nil
end

-- The version alone (EXSET replaces the value, however large, without reading it): nil
-- for no key, false for a key of another type.
local function load_version(key)
    local v = typed_pcall('HGET', key, F_VER)
    if type(v) == 'table' then
        return false
    elseif is_version_text(v) then
        return v
    elseif server.call('EXISTS', key) == 1 then
        return false
    end
    return nil
end

local function store(key, value, version)
    server.call('HSET', key, F_VER, version, F_VAL, value)
end

local function set_flags(key, flags)
    if flags == '0' then
        server.call('HDEL', key, F_FLAGS)
    else
        server.call('HSET', key, F_FLAGS, flags)
    end
end

-- VER n: 0 disables the check; otherwise it must equal the current version.
local function stale(version, vermode, verval)
    return vermode == 'VER' and verval ~= '0' and verval ~= version
end

-- version: the current one, nil for a new key.
local function next_version(version, vermode, verval)
    if vermode == 'ABS' then
        return verval
    end
    return u64_incr(version or '0')
end

add_type_marker('exstrtype', 'hash', function(key)
    return is_version_text(server.call('HGET', key, F_VER))
end)

local STALE = 'ERR update version is stale'
local OVERFLOW = 'ERR increment or decrement would overflow'
local MIN_MAX = 'ERR min or max is specified, but not valid'

-- ARGV: value, nxxx, vermode, verval, expmode, expms, flags, withversion. An EXSET without
-- options sends the value alone (each argument costs Valkey an object and Lua a string):
-- the others are then '' and withversion off.
server.register_function('tp_exset', function(keys, a)
    local key = keys[1]
    local nxxx, vermode, verval = a[2] or '', a[3] or '', a[4] or ''
    local expmode, expms, flags = a[5] or '', a[6] or '', a[7] or ''
    local version = load_version(key)
    if version == nil then
        if nxxx == 'XX' then
            return unchanged(key, false)
        end
    elseif version == false then
        return unchanged(key, err(WRONGTYPE))
    elseif nxxx == 'NX' then
        return unchanged(key, false)
    elseif stale(version, vermode, verval) then
        return unchanged(key, err(STALE))
    end
    local new = version == nil
    version = next_version(version, vermode, verval)
    store(key, a[1], version)
    if flags ~= '' then
        set_flags(key, flags)
    end
    if not (new and expmode == '') then -- a key just made has no TTL to remove
        apply_expire(key, expmode, expms)
    end
    if a[8] == '1' then
        return int_reply(version)
    end
    return OK
end)

-- ARGV: withflags ('1'; missing: without)
server.register_function{function_name = 'tp_exget', flags = {'no-writes'}, callback = function(keys, a)
    local cur = load(keys[1])
    if cur == nil then
        return false
    elseif cur == false then
        return err(WRONGTYPE)
    end
    if a[1] == '1' then
        return {cur[1], int_reply(cur[2]), int_reply(cur[3])}
    end
    return {cur[1], int_reply(cur[2])}
end}

-- ARGV: deferred error, version
server.register_function('tp_exsetver', function(keys, a)
    local cur = load(keys[1])
    if cur == nil then
        return unchanged(keys[1], 0)
    elseif cur == false then
        return unchanged(keys[1], err(WRONGTYPE))
    elseif a[1] ~= '' then
        return unchanged(keys[1], err(a[1]))
    end
    server.call('HSET', keys[1], F_VER, a[2])
    return 1
end)

-- ARGV: deferred error, num, def, nxxx, vermode, verval, expmode, expms, min, max, nonegative, withversion
server.register_function('tp_exincrby', function(keys, a)
    local key = keys[1]
    local cur = load(key)
    if cur == false then
        return unchanged(key, err(WRONGTYPE))
    elseif a[1] ~= '' then
        return unchanged(key, err(a[1]))
    end
    local value
    if cur == nil then
        if a[4] == 'XX' then
            return unchanged(key, false)
        end
    else
        if a[4] == 'NX' then
            return unchanged(key, false)
        elseif not is_i64(cur[1]) then
            return unchanged(key, err('ERR value is not an integer'))
        elseif stale(cur[2], a[5], a[6]) then
            return unchanged(key, err(STALE))
        end
    end
    if cur == nil and a[3] ~= '' then
        value = a[3]  -- DEF on a new key is the value itself, unbounded
    else
        value = i64_add(cur and cur[1] or '0', a[2])
        if value == nil
            or (a[10] ~= '' and i64_cmp(value, a[10]) > 0)
            or (a[9] ~= '' and i64_cmp(value, a[9]) < 0) then
            return unchanged(key, err(OVERFLOW))
        end
    end
    if a[11] == '1' and i64_cmp(value, '0') < 0 then
        value = '0'
    end
    local version = next_version(cur and cur[2], a[5], a[6])
    store(key, value, version)
    apply_expire(key, a[7], a[8])
    if a[12] == '1' then
        return {int_reply(value), int_reply(version)}
    end
    return int_reply(value)
end)

-- ARGV: deferred syntax error, num, nxxx, vermode, verval, expmode, expms, min, max
server.register_function('tp_exincrbyfloat', function(keys, a)
    local key = keys[1]
    local cur = load(key)
    if cur == false then
        return unchanged(key, err(WRONGTYPE))
    end
    local num = LD.parse(a[2])
    if num == nil then
        return unchanged(key, err('ERR value is not a float'))
    elseif a[1] ~= '' then
        return unchanged(key, err(a[1]))
    end
    local min, max
    if a[8] ~= '' then
        min = LD.parse(a[8])
        if min == nil then
            return unchanged(key, err(MIN_MAX))
        end
    end
    if a[9] ~= '' then
        max = LD.parse(a[9])
        if max == nil then
            return unchanged(key, err(MIN_MAX))
        end
    end
    if min and max and LD.cmp(max, min) < 0 then
        return unchanged(key, err(MIN_MAX))
    end
    local old = LD.parse('0')
    if cur == nil then
        if a[3] == 'XX' then
            return unchanged(key, false)
        end
    else
        if a[3] == 'NX' then
            return unchanged(key, false)
        end
        old = LD.parse(cur[1])
        if old == nil then
            return unchanged(key, err('ERR value is not a float'))
        elseif stale(cur[2], a[4], a[5]) then
            return unchanged(key, err(STALE))
        end
    end
    local sum = LD.add(old, num)
    if not LD.is_finite(sum) or (max and LD.cmp(sum, max) > 0) or (min and LD.cmp(sum, min) < 0) then
        return unchanged(key, err(OVERFLOW))
    end
    local text = LD.format(sum)
    store(key, text, next_version(cur and cur[2], a[4], a[5]))
    apply_expire(key, a[6], a[7])
    return text
end)

-- ARGV: new value, version, expmode, expms
server.register_function('tp_excas', function(keys, a)
    local key = keys[1]
    local cur = load(key)
    if cur == nil then
        return unchanged(key, -1)
    elseif cur == false then
        return unchanged(key, err(WRONGTYPE))
    elseif cur[2] ~= a[2] then
        return unchanged(key, {{ok = 'CAS_FAILED'}, cur[1], int_reply(cur[2])})
    end
    local version = u64_incr(cur[2])
    store(key, a[1], version)
    apply_expire(key, a[3], a[4])
    return {OK, {ok = ''}, int_reply(version)}
end)

-- ARGV: deferred error, version
server.register_function('tp_excad', function(keys, a)
    local cur = load(keys[1])
    if cur == false then
        return unchanged(keys[1], err(WRONGTYPE))
    elseif a[1] ~= '' then
        return unchanged(keys[1], err(a[1]))
    elseif cur == nil then
        return unchanged(keys[1], -1)
    elseif cur[2] ~= a[2] then
        return unchanged(keys[1], 0)
    end
    server.call('DEL', keys[1])
    return 1
end)

-- EXAPPEND / EXPREPEND. ARGV: 'append'|'prepend', value, nxxx, vermode, verval
server.register_function('tp_exappend', function(keys, a)
    local key = keys[1]
    local cur = load(key)
    local value = a[2]
    if cur == nil then
        if a[3] == 'XX' then
            return unchanged(key, false)
        end
    else
        -- Tair checks NX before the type.
        if a[3] == 'NX' then
            return unchanged(key, false)
        elseif cur == false then
            return unchanged(key, err(WRONGTYPE))
        elseif stale(cur[2], a[4], a[5]) then
            return unchanged(key, err(STALE))
        end
        value = a[1] == 'append' and cur[1] .. value or value .. cur[1]
    end
    local version = next_version(cur and cur[2], a[4], a[5])
    store(key, value, version)
    return int_reply(version)
end)

-- ARGV: expmode, expms
server.register_function('tp_exgae', function(keys, a)
    local cur = load(keys[1])
    local reply
    if cur == nil then
        reply = false
    elseif cur == false then
        reply = err(WRONGTYPE)
    else
        reply = {cur[1], int_reply(cur[2]), int_reply(cur[3])}
        if apply_expire(keys[1], a[1], a[2]) then
            return reply
        end
    end
    return unchanged(keys[1], reply)
end)

-- CAS on a plain string. ARGV: old, new, expmode, expms
server.register_function('tp_cas', function(keys, a)
    local key = keys[1]
    local cur = typed_pcall('GET', key)
    if type(cur) == 'table' then
        return unchanged(key, err(WRONGTYPE))
    elseif not cur then
        return unchanged(key, -1)
    elseif cur ~= a[1] then
        return unchanged(key, 0)
    end
    -- Tair replaces the string (dropping its TTL, even with KEEPTTL) before expiring it.
    server.call('SET', key, a[2])
    apply_expire(key, a[3], a[4])
    return 1
end)

-- CAD on a plain string. ARGV: value
server.register_function('tp_cad', function(keys, a)
    local cur = typed_pcall('GET', keys[1])
    if type(cur) == 'table' then
        return unchanged(keys[1], err(WRONGTYPE))
    elseif not cur then
        return unchanged(keys[1], -1)
    elseif cur ~= a[1] then
        return unchanged(keys[1], 0)
    end
    server.call('DEL', keys[1])
    return 1
end)
