-- TairGis (exgistype) over one native hash per key:
--   "\0gis"  -> "\29gis:" .. next_seq .. ":" .. big .. ":" .. 32 hex   (version stamp)
--   name     -> "\30" .. seq (15 digits) .. wkt .. "\0" .. kind, center, bounds (binary)
-- "\30" (0x1E) starts every value ("\29" values, written before the binary record held
-- bounds, are still read: the proxy works their record out); "\29" also starts the stamp
-- of the reserved field "\0gis", which marks the key as a
-- TairGis and holds its version stamp, which every write replaces in the same call
-- (TIME, a counter and randomness hashed: globally unique per key state), so each
-- proxy's index of the key is validated by comparing
-- stamps. Member names starting with "\0" are stored with one more "\0" in front.
-- wkt is the text Tair prints back; the binary record what the index is built from. seq
-- orders members as Tair's R-tree iterates them: while a key has never held more than
-- 16 members (one R-tree leaf) it is the leaf position, with Tair's swap-with-last
-- removal; after that (big = 1) it is insertion order.
-- A GIS key never loses fields on its own, and GIS.DEL removes the key with its last
-- member, so the marker field never outlives the data.

local VF = '\0gis'
local PREFIX = '\29gis:'
local MARK = '\30'
local LEAF = 16
local CHUNK = 1000

local function field_of(name)
    if string.byte(name, 1) == 0 then
        return '\0' .. name
    end
    return name
end

local function seq_text(n)
    return string.format('%015d', n)
end

-- nil: no key; false: another type; else next_seq, big, stamp.
local function gis_state(key)
    local v = typed_pcall('HGET', key, VF)
    if type(v) == 'table' then
        return false
    end
    if v then
        local nxt, big = string.match(v, '^\29gis:(%d+):(%d):')
        if not nxt then
            return false
        end
        return tonumber(nxt), tonumber(big), v
    end
    if server.call('EXISTS', key) == 1 then
        return false
    end
    return nil
end

local function new_stamp(key, next_seq, big, old)
    local t = server.call('TIME')
    local seed = table.concat({key, t[1], t[2], old or '', tostring(math.random()), tostring(math.random()),
        tostring(next_seq)}, '\0')
    return PREFIX .. string.format('%.0f', next_seq) .. ':' .. big .. ':' .. string.sub(server.sha1hex(seed), 1, 32)
end

local function hset_many(key, args)
    local i = 1
    while i <= #args do
        local j = math.min(i + CHUNK - 1, #args)
        server.call('HSET', key, unpack(args, i, j))
        i = j + 1
    end
end

-- The members of a key still in leaf mode, in leaf order: fields, and
-- field -> {seq, value after the sequence, mark byte}.
local function load_leaf(key)
    local all = server.call('HGETALL', key)
    local entries = {}
    for i = 1, #all, 2 do
        if all[i] ~= VF then
            local v = all[i + 1]
            entries[#entries + 1] = {all[i], tonumber(string.sub(v, 2, 16)), string.sub(v, 17), string.sub(v, 1, 1)}
        end
    end
    table.sort(entries, function(x, y) return x[2] < y[2] end)
    local order, info = {}, {}
    for i = 1, #entries do
        order[i] = entries[i][1]
        info[entries[i][1]] = {entries[i][2], entries[i][3], entries[i][4]}
    end
    return order, info
end

-- Remove a field from a leaf order as Tair's R-tree does: the last entry takes its slot.
local function leaf_remove(order, field)
    for i = 1, #order do
        if order[i] == field then
            order[i] = order[#order]
            order[#order] = nil
            return
        end
    end
end

-- Write back the leaf members whose position or value changed.
local function leaf_store(key, order, info, changed)
    local args = {}
    for i = 1, #order do
        local f = order[i]
        if info[f][1] ~= i or changed[f] then
            args[#args + 1] = f
            args[#args + 1] = info[f][3] .. seq_text(i) .. info[f][2]
        end
    end
    hset_many(key, args)
end

add_type_marker('exgistype', 'hash', function(key)
    local v = server.call('HGET', key, VF)
    return v and string.sub(v, 1, #PREFIX) == PREFIX or false
end)

-- GIS.ADD. ARGV: deferred error, then name, payload pairs (payload: wkt "\0" binary).
server.register_function('tp_gis_add', function(keys, a)
    local key = keys[1]
    local next_seq, big, old = gis_state(key)
    if next_seq == false then
        return err(WRONGTYPE)
    end
    if a[1] ~= '' then
        return err(a[1])
    end
    if next_seq == nil then
        next_seq, big = 1, 0
    end
    local pairs_n = (#a - 1) / 2
    if big == 0 then
        -- One R-tree leaf holds 16 entries: can the key stay within it?
        local members = server.call('HLEN', key)
        if members > 0 then
            members = members - 1
        end
        local fresh, seen = 0, {}
        for i = 2, #a, 2 do
            local f = field_of(a[i])
            if not seen[f] then
                seen[f] = true
                if members + fresh <= LEAF and server.call('HEXISTS', key, f) == 0 then
                    fresh = fresh + 1
                end
            end
        end
        if members + fresh > LEAF then
            big = 1
        else
            local order, info = load_leaf(key)
            local changed = {}
            for i = 2, #a, 2 do
                local f = field_of(a[i])
                if info[f] then
                    leaf_remove(order, f)
                else
                    info[f] = {0}
                end
                order[#order + 1] = f
                info[f][2] = a[i + 1]
                info[f][3] = MARK
                changed[f] = true
            end
            leaf_store(key, order, info, changed)
            server.call('HSET', key, VF, new_stamp(key, #order + 1, 0, old))
            return pairs_n
        end
    end
    local args = {}
    for i = 2, #a, 2 do
        args[#args + 1] = field_of(a[i])
        args[#args + 1] = MARK .. seq_text(next_seq) .. a[i + 1]
        next_seq = next_seq + 1
    end
    hset_many(key, args)
    server.call('HSET', key, VF, new_stamp(key, next_seq, 1, old))
    return pairs_n
end)

-- GIS.DEL. ARGV: name
server.register_function('tp_gis_del', function(keys, a)
    local key = keys[1]
    local next_seq, big, old = gis_state(key)
    if next_seq == nil then
        return false
    elseif next_seq == false then
        return err(WRONGTYPE)
    end
    local f = field_of(a[1])
    if server.call('HEXISTS', key, f) == 0 then
        return false
    end
    if server.call('HLEN', key) <= 2 then
        server.call('DEL', key)
        return OK
    end
    if big == 0 then
        local order, info = load_leaf(key)
        leaf_remove(order, f)
        server.call('HDEL', key, f)
        leaf_store(key, order, info, {})
        next_seq = #order + 1
    else
        server.call('HDEL', key, f)
    end
    server.call('HSET', key, VF, new_stamp(key, next_seq, big, old))
    return OK
end)

-- GIS.GET. ARGV: name
server.register_function{function_name = 'tp_gis_get', flags = {'no-writes'}, callback = function(keys, a)
    local key = keys[1]
    local next_seq = gis_state(key)
    if next_seq == nil then
        return false
    elseif next_seq == false then
        return err(WRONGTYPE)
    end
    local v = server.call('HGET', key, field_of(a[1]))
    if not v then
        return false
    end
    local nul = string.find(v, '\0', 17, true)
    return string.sub(v, 17, nul - 1)
end}

-- Every spatial read and GIS.GETALL: the proxy answers from its index of each key and
-- sends the stamp of the copy it holds ('' for none). Per key the answer is the stamp
-- when it still matches, or {} for no key, else what to rebuild the index from:
-- {stamp, lengths, items, lengths, items, ...}, HGETALL's items in runs of CHUNK_ITEMS,
-- each run as its items' lengths (uint32, little-endian) and the items concatenated
-- (a few strings instead of one per item; runs, because one huge table.concat is slow).
-- ARGV: one stamp per key. With one key, its answer is the reply (not an array of one).
local CHUNK_ITEMS = 200

local function key_data(key, stamp)
    local all = server.call('HGETALL', key)
    local n = #all
    local lens = {}
    for j = 1, n do
        lens[j] = #all[j]
    end
    local out = {stamp}
    for i = 1, n, CHUNK_ITEMS do
        local k = math.min(i + CHUNK_ITEMS - 1, n)
        out[#out + 1] = struct.pack('<' .. string.rep('I4', k - i + 1), unpack(lens, i, k))
        out[#out + 1] = table.concat(all, '', i, k)
    end
    return out
end

server.register_function{function_name = 'tp_gis_read', flags = {'no-writes'}, callback = function(keys, a)
    local states = {}
    for i = 1, #keys do
        local next_seq, _, stamp = gis_state(keys[i])
        if next_seq == false then
            return err(WRONGTYPE)
        end
        states[i] = next_seq and stamp or false
    end
    local out = {}
    for i = 1, #keys do
        local stamp = states[i]
        if not stamp then
            out[i] = {}
        elseif stamp == a[i] then
            out[i] = stamp
        else
            out[i] = key_data(keys[i], stamp)
        end
    end
    if #keys == 1 then
        return out[1]
    end
    return out
end}
