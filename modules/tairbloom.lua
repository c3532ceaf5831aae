-- TairBloom (BF.*): a scalable Bloom filter in ONE native string per key.
--
--   [fixed header, 48 bytes][descriptor slots, 24 bytes each][bit arrays of the sub-filters]
--
--   fixed header (big-endian):
--     0  8  magic "\0TPBLOOM" (the type marker: BF.* on any string without it is WRONGTYPE)
--     8  1  format version (1)          9  3  reserved
--    12  4  descriptor slots            16 4  number of sub-filters
--    20  4  expansion (0 = NONSCALING)
--    24  8  requested error rate (IEEE double)   32 8  tightening ratio (double)   40 8 reserved
--   descriptor of sub-filter i (slot i):
--     capacity u64, items u64, bits u32 (a multiple of 8), hash count u16, 2 reserved bytes
--   bit arrays: sub-filter 0 first, each bits/8 bytes, right after the descriptor slots.
--
-- Scalable: when the last sub-filter holds `capacity` items the next one gets capacity x
-- expansion. Sub-filter i of a scaling filter is built for rate x (1 - ratio) x ratio^i, so
-- the rates sum to at most the requested one however many sub-filters follow; a NONSCALING
-- filter's only sub-filter gets the requested rate. Bits m = ceil(-n ln p / ln2^2) rounded up
-- to whole bytes, hashes k = round(m / n ln 2). A scale-out appends the new bit array (and,
-- when the descriptor slots run out, doubles them: 4, 8, 16, ...) by rewriting the value with
-- one SET ... KEEPTTL; adding items only sets bits and the last item count (BITFIELD).
-- The proxy hashes each item with MurmurHash3 x64-128 (mmh3.hash64, seed 0x7A1B) and sends the
-- top 53 bits of each 64-bit half, h1 and h2 (exact Lua numbers). Bit j (0 <= j < k) of a
-- sub-filter with m bits is x_j with x_0 = h1 mod m, y_0 = h2 mod m, x_{j+1} = x_j + y_j,
-- y_{j+1} = y_j + j (mod m): enhanced double hashing, every intermediate below 2^53. Bits are
-- numbered as SETBIT/BITFIELD number them (bit 0 = the first byte's most significant bit).
-- GET on a TairBloom key returns these raw bytes; TYPE through the proxy answers MBbloom--.

local BF_MAGIC = '\0TPBLOOM'
local BF_FIXED_FMT = '>c8BxxxI4I4I4ddxxxxxxxx'
local BF_DESC_FMT = '>I8I8I4I2xx'
local BF_FIXED = 48
local BF_DESC = 24
-- The first read covers the header of up to 4 sub-filters and, for a small filter, its bits.
local BF_FIRST_READ = 1024
local BF_MEMORY_LIMIT = 128 * 1024 * 1024
-- Capacities are exact integers in Lua only up to 2^53; valkey-bloom's limit is 2^63 - 1.
local BF_MAX_CAPACITY = 9007199254740991
local BF_I64_MAX = 9223372036854775807
local BF_MIN_RATE = 2.2250738585072014e-308
local BF_LN2 = 0.6931471805599453  -- ln 2 (the math library is not reachable while the library loads)
local BF_LN2_SQ = BF_LN2 * BF_LN2
-- BITFIELD operations per call: Lua's unpack() stops at about 8000 values.
local BF_GET_CHUNK = 2000
local BF_SET_CHUNK = 1500
-- A sub-filter of at most BF_DENSE_RATIO bytes per position asked (and at most BF_DENSE_MAX
-- bytes) is read whole into a Lua array (about 15 ns a byte to read and to write back) rather
-- than a BITFIELD GET per position (about 1 us).
local BF_DENSE_RATIO = 16
local BF_DENSE_MAX = 4 * 1024 * 1024
local BF_BIT = {128, 64, 32, 16, 8, 4, 2, 1}

local E_NONSCALING_FULL = 'ERR non scaling filter is full'
local E_NOT_FOUND = 'ERR not found'
local E_ITEM_EXISTS = 'ERR item exists'
local E_INVALID_INFO = 'ERR invalid information value'
local E_BAD_CAPACITY = 'ERR bad capacity'
local E_FP_ZERO = 'ERR false positive degrades to 0 on scale out'
local E_TOO_LARGE = 'ERR operation exceeds bloom object memory limit'
local E_SCALE_TO_TOO_LARGE = 'ERR provided VALIDATESCALETO causes bloom object to exceed memory limit'
local E_SCALE_TO_FP_ZERO = 'ERR provided VALIDATESCALETO causes false positive to degrade to 0'

-- Error rate sub-filter i is built for.
local function bf_filter_rate(rate, ratio, expansion, i)
    if expansion == 0 then
        return rate
    end
    return rate * (1 - ratio) * ratio ^ i
end

-- Bytes and hash count of a sub-filter for `capacity` items at error rate `rate`.
local function bf_shape(capacity, rate)
    local bytes = math.ceil(math.ceil(capacity * -math.log(rate) / BF_LN2_SQ) / 8)
    if bytes < 1 then
        bytes = 1
    end
    local k = math.floor(bytes * 8 / capacity * BF_LN2 + 0.5)
    if k < 1 then
        k = 1
    end
    return bytes, k
end

local function bf_slots(expansion, n)
    if expansion == 0 then
        return 1
    end
    local s = 4
    while s < n do
        s = s * 2
    end
    return s
end

local function bf_data_start(slots)
    return BF_FIXED + BF_DESC * slots
end

-- nil: no key; false: a key of another type (or a string without the marker); else the filter.
local function bf_load(key)
    local raw = typed_pcall('GETRANGE', key, 0, BF_FIRST_READ - 1)
    if type(raw) ~= 'string' then
        return false
    end
    if raw == '' then
        if server.call('EXISTS', key) == 1 then
            return false
        end
        return nil
    end
    if #raw < BF_FIXED or string.sub(raw, 1, 8) ~= BF_MAGIC then
        return false
    end
    local _, version, slots, n, expansion, rate, ratio = struct.unpack(BF_FIXED_FMT, raw)
    if version ~= 1 or n < 1 or slots < n then
        return false
    end
    local need = BF_FIXED + BF_DESC * n
    if #raw < need then
        raw = raw .. server.call('GETRANGE', key, #raw, need - 1)
        if #raw < need then
            return false
        end
    end
    local filters, off, pos = {}, 0, BF_FIXED + 1
    for i = 1, n do
        local cap, items, bits, k
        cap, items, bits, k, pos = struct.unpack(BF_DESC_FMT, raw, pos)
        filters[i] = {cap = cap, items = items, bits = bits, k = k, off = off}
        off = off + bits
    end
    return {
        key = key, slots = slots, expansion = expansion, rate = rate, ratio = ratio,
        filters = filters, data = off / 8, stored_slots = slots, stored_n = n, raw = raw,
    }
end

local function bf_size(bf)
    return bf_data_start(bf.slots) + bf.data
end

local function bf_append_filter(bf, cap, rate)
    local bytes, k = bf_shape(cap, rate)
    local n = #bf.filters + 1
    local slots = math.max(bf.slots, bf_slots(bf.expansion, n))
    if bf_data_start(slots) + bf.data + bytes > BF_MEMORY_LIMIT then
        return E_TOO_LARGE
    end
    bf.slots = slots
    bf.filters[n] = {cap = cap, items = 0, bits = bytes * 8, k = k, off = bf.data * 8}
    bf.data = bf.data + bytes
    return nil
end

-- A new, not yet stored filter (BF.RESERVE, or BF.ADD/MADD/INSERT on a missing key).
local function bf_new(key, rate, ratio, cap, expansion)
    local bf = {
        key = key, slots = bf_slots(expansion, 1), expansion = expansion, rate = rate,
        ratio = ratio, filters = {}, data = 0, fresh = true,
    }
    if cap > BF_MAX_CAPACITY then
        return nil, E_TOO_LARGE
    end
    local e = bf_append_filter(bf, cap, bf_filter_rate(rate, ratio, expansion, 0))
    if e then
        return nil, e
    end
    return bf
end

-- A full last sub-filter: the next one (valkey-bloom's checks and errors).
local function bf_scale_out(bf)
    if bf.expansion == 0 then
        return E_NONSCALING_FULL
    end
    local n = #bf.filters
    local rate = bf_filter_rate(bf.rate, bf.ratio, bf.expansion, n)
    if not (rate > BF_MIN_RATE) then
        return E_FP_ZERO
    end
    local cap = bf.filters[n].cap * bf.expansion
    if cap > BF_I64_MAX then
        return E_BAD_CAPACITY
    elseif cap > BF_MAX_CAPACITY then
        return E_TOO_LARGE
    end
    return bf_append_filter(bf, cap, rate)
end

-- Can `count` more items be added without a NONSCALING/scale-out error? (checked before
-- BF.MADD/BF.INSERT add anything, as valkey-bloom does; the memory limit is checked per item)
local function bf_validate_add(bf, count)
    local last = bf.filters[#bf.filters]
    local remaining = last.cap - last.items
    if remaining >= count then
        return nil
    end
    if bf.expansion == 0 then
        return E_NONSCALING_FULL
    end
    local left, n, cap = count - remaining, #bf.filters, last.cap
    while left > 0 do
        if not (bf_filter_rate(bf.rate, bf.ratio, bf.expansion, n) > BF_MIN_RATE) then
            return E_FP_ZERO
        end
        cap = cap * bf.expansion
        if cap > BF_I64_MAX then
            return E_BAD_CAPACITY
        end
        left = left - math.min(left, cap)
        n = n + 1
    end
    return nil
end

-- Total capacity a scaling filter can reach (scale_to = -1, BF.INFO MAXSCALEDCAPACITY), or
-- whether it can reach scale_to (BF.INSERT VALIDATESCALETO): valkey-bloom's walk over our sizes.
local function bf_max_scaled(cap, rate, ratio, expansion, scale_to)
    local total, n, data, slots = 0, 0, 0, bf_slots(expansion, 1)
    while scale_to == -1 or total < scale_to do
        local p = bf_filter_rate(rate, ratio, expansion, n)
        if not (p > BF_MIN_RATE) then
            if scale_to == -1 then
                return total
            end
            return nil, E_SCALE_TO_FP_ZERO
        end
        local bytes = bf_shape(cap, p)
        if n + 1 > slots then
            slots = slots * 2
        end
        if bf_data_start(slots) + data + bytes > BF_MEMORY_LIMIT then
            if scale_to == -1 then
                return total
            end
            return nil, E_SCALE_TO_TOO_LARGE
        end
        data = data + bytes
        total = total + cap
        cap = cap * expansion
        if cap > BF_I64_MAX then
            return nil, E_BAD_CAPACITY
        end
        n = n + 1
    end
    return total
end

local function bf_header(bf)
    local parts = {struct.pack(BF_FIXED_FMT, BF_MAGIC, 1, bf.slots, #bf.filters, bf.expansion, bf.rate, bf.ratio)}
    for i = 1, bf.slots do
        local f = bf.filters[i]
        if f then
            parts[i + 1] = struct.pack(BF_DESC_FMT, f.cap, f.items, f.bits, f.k)
        else
            parts[i + 1] = string.rep('\0', BF_DESC)
        end
    end
    return table.concat(parts)
end

-- Bits of sub-filters during one command: a view per sub-filter, dense or sparse.
--   dense:  all its bytes as a Lua array (read with GETRANGE, or zeros for a sub-filter this
--           command creates); a table index is far cheaper than any call per bit;
--   sparse: (a stored sub-filter much bigger than the positions asked) only the bits at the
--           items' positions, fetched at once with BITFIELD_RO (position -> 0/1), plus the
--           positions this command sets.
-- Bit j (0 <= j < k) of an item is x_j: x_0 = h1 mod m, y_0 = h2 mod m, x_{j+1} = x_j + y_j,
-- y_{j+1} = y_j + j (mod m). Tests stop at the first clear bit, so an absent item costs about
-- two steps per sub-filter; the loops are written out where they run (no call per bit), and
-- Lua's % is exact here (operands below 2^53), so no math.fmod call either.

local function bf_bytes_array(s, from, size)
    local out, byte = {}, string.byte
    for i = 1, size, 4000 do
        local chunk = {byte(s, from + i - 1, from + math.min(size, i + 3999) - 1)}
        for q = 1, #chunk do
            out[i + q - 1] = chunk[q]
        end
    end
    for i = #out + 1, size do
        out[i] = 0
    end
    return out
end

local function bf_zero_view(f)
    local size, bytes = f.bits / 8, {}
    for i = 1, size do
        bytes[i] = 0
    end
    return {f = f, bytes = bytes}
end

-- Views of the stored sub-filters 1..nf for the items (h1s, h2s).
local function bf_stored_views(bf, h1s, h2s, nitems, nf)
    local views = {}
    local base = bf_data_start(bf.stored_slots)
    for j = 1, nf do
        local f = bf.filters[j]
        local size = f.bits / 8
        local from = base + f.off / 8
        if from + size <= #bf.raw then
            views[j] = {f = f, bytes = bf_bytes_array(bf.raw, from + 1, size)}
        elseif size <= BF_DENSE_MAX and size <= BF_DENSE_RATIO * nitems * f.k then
            local s = server.call('GETRANGE', bf.key, from, from + size - 1)
            views[j] = {f = f, bytes = bf_bytes_array(s, 1, size)}
        else
            local bits, want, nwant = {}, {}, 0
            local m = f.bits
            for it = 1, nitems do
                local x, y = h1s[it] % m, h2s[it] % m
                for q = 0, f.k - 1 do
                    if not bits[x] then
                        bits[x] = 0
                        nwant = nwant + 1
                        want[nwant] = x
                    end
                    x = x + y
                    if x >= m then x = x - m end
                    y = y + q
                    if y >= m then y = y % m end
                end
            end
            local start = base * 8 + f.off
            for i = 0, nwant - 1, BF_GET_CHUNK do
                local args, n = {'BITFIELD_RO', bf.key}, 2
                for q = i + 1, math.min(nwant, i + BF_GET_CHUNK) do
                    args[n + 1], args[n + 2], args[n + 3] = 'GET', 'u1', start + want[q]
                    n = n + 3
                end
                local r = server.call(unpack(args))
                for q = 1, #r do
                    bits[want[i + q]] = r[q]
                end
            end
            views[j] = {f = f, bits = bits, sets = {}}
        end
    end
    return views
end

-- Index of the first sub-filter (views 1..n) in which every bit of item (h1, h2) is set, or nil.
local function bf_find(views, n, h1, h2)
    local BIT = BF_BIT
    for v = 1, n do
        local view = views[v]
        local f = view.f
        local m, k = f.bits, f.k
        local x, y = h1 % m, h2 % m
        local bytes, j = view.bytes, 0
        if bytes then
            while j < k do
                local r = x % 8
                local mask = BIT[r + 1]
                if bytes[(x - r) / 8 + 1] % (mask + mask) < mask then
                    break
                end
                x = x + y
                if x >= m then x = x - m end
                y = y + j
                if y >= m then y = y % m end
                j = j + 1
            end
        else
            local bits = view.bits
            while j < k and bits[x] == 1 do
                x = x + y
                if x >= m then x = x - m end
                y = y + j
                if y >= m then y = y % m end
                j = j + 1
            end
        end
        if j == k then
            return v
        end
    end
    return nil
end

-- Set every bit of item (h1, h2) in a view.
local function bf_set(view, h1, h2)
    local f = view.f
    local m, k = f.bits, f.k
    local BIT = BF_BIT
    local x, y = h1 % m, h2 % m
    local bytes = view.bytes
    view.changed = true
    if bytes then
        for j = 0, k - 1 do
            local r = x % 8
            local i = (x - r) / 8 + 1
            local mask = BIT[r + 1]
            local b = bytes[i]
            if b % (mask + mask) < mask then
                bytes[i] = b + mask
            end
            x = x + y
            if x >= m then x = x - m end
            y = y + j
            if y >= m then y = y % m end
        end
        return
    end
    local bits, sets = view.bits, view.sets
    for j = 0, k - 1 do
        if bits[x] ~= 1 then
            bits[x] = 1
            sets[#sets + 1] = x
        end
        x = x + y
        if x >= m then x = x - m end
        y = y + j
        if y >= m then y = y % m end
    end
end

-- The bytes of a dense view as one string.
local function bf_view_string(view)
    local bytes, parts = view.bytes, {}
    for i = 1, #bytes, 4000 do
        parts[#parts + 1] = string.char(unpack(bytes, i, math.min(#bytes, i + 3999)))
    end
    return table.concat(parts)
end

-- Writes a changed filter. A new filter, a new sub-filter or more descriptor slots rewrite the
-- whole value with one SET ... KEEPTTL, so Valkey allocates exactly its length (growing a
-- string with SETRANGE would let it keep up to twice that). A stored sub-filter that got bits
-- is written back whole (SETRANGE, dense) or bit by bit (BITFIELD, sparse), and the last
-- sub-filter's item count with it.
local function bf_store(bf, views, items_changed)
    local key = bf.key
    local base = bf_data_start(bf.slots)
    local nstored = bf.fresh and 0 or bf.stored_n
    local ops, nops = {'BITFIELD', key}, 2
    if bf.fresh or bf.slots ~= bf.stored_slots or #bf.filters ~= bf.stored_n then
        local parts = {bf_header(bf)}
        if not bf.fresh then
            parts[2] = server.call('GETRANGE', key, bf_data_start(bf.stored_slots), -1)
        end
        for j = nstored + 1, #bf.filters do
            local view = views[j]
            parts[#parts + 1] = view and bf_view_string(view) or string.rep('\0', bf.filters[j].bits / 8)
        end
        if bf.fresh then
            server.call('SET', key, table.concat(parts))
        else
            server.call('SET', key, table.concat(parts), 'KEEPTTL')
        end
    elseif items_changed then
        local n = #bf.filters
        ops[3], ops[4], ops[5], ops[6] = 'SET', 'i64', (BF_FIXED + BF_DESC * (n - 1) + 8) * 8, bf.filters[n].items
        nops = 6
    end
    for j = 1, nstored do
        local view = views[j]
        if view and view.changed then
            if view.bytes then
                server.call('SETRANGE', key, base + view.f.off / 8, bf_view_string(view))
            else
                local at = base * 8 + view.f.off
                for q = 1, #view.sets do
                    if nops >= 2 + 4 * BF_SET_CHUNK then
                        server.call(unpack(ops, 1, nops))
                        nops = 2
                    end
                    ops[nops + 1], ops[nops + 2], ops[nops + 3], ops[nops + 4] = 'SET', 'u1', at + view.sets[q], 1
                    nops = nops + 4
                end
            end
        end
    end
    if nops > 2 then
        server.call(unpack(ops, 1, nops))
    end
end

-- Adds the items whose hashes are a[first], a[first + 1], ... (two per item) one by one, as
-- valkey-bloom does: 0 when an item already tests present in any sub-filter, else its bits are
-- set in the last sub-filter (scaling out first when that one is full).
-- single: BF.ADD (an error is the whole reply); otherwise an array that stops at an error.
local function bf_add_items(bf, a, first, single)
    local nitems = (#a - first + 1) / 2
    local filters = bf.filters
    local h1s, h2s = {}, {}
    for it = 1, nitems do
        h1s[it] = tonumber(a[first + 2 * it - 2])
        h2s[it] = tonumber(a[first + 2 * it - 1])
    end
    local views
    if bf.fresh then
        views = {bf_zero_view(filters[1])}
    else
        views = bf_stored_views(bf, h1s, h2s, nitems, #filters)
    end
    local results, added = {}, false
    for it = 1, nitems do
        local h1, h2 = h1s[it], h2s[it]
        if bf_find(views, #filters, h1, h2) then
            results[it] = 0
        else
            local last = filters[#filters]
            if last.items >= last.cap then
                local e = bf_scale_out(bf)
                if e then
                    if single then
                        return unchanged(bf.key, err(e))
                    end
                    results[it] = {err = e}
                    break
                end
                last = filters[#filters]
                views[#filters] = bf_zero_view(last)
            end
            bf_set(views[#filters], h1, h2)
            last.items = last.items + 1
            added = true
            results[it] = 1
        end
    end
    if added or bf.fresh then
        bf_store(bf, views, added)
    else
        touch_for_watch(bf.key)
    end
    if single then
        return results[1]
    end
    return results
end

add_type_marker('MBbloom--', 'string', function(key)
    return server.call('GETRANGE', key, 0, 7) == BF_MAGIC
end)

-- BF.RESERVE / TFBFRESERVE. ARGV: rate, ratio, capacity, expansion
-- valkey-bloom opens the key for writing before anything else: a call that changes nothing
-- still counts as a write for WATCH (unchanged(), common.lua).
server.register_function('tp_bf_reserve', function(keys, a)
    local bf = bf_load(keys[1])
    if bf == false then
        return unchanged(keys[1], err(WRONGTYPE))
    elseif bf then
        return unchanged(keys[1], err(E_ITEM_EXISTS))
    end
    local e
    bf, e = bf_new(keys[1], tonumber(a[1]), tonumber(a[2]), tonumber(a[3]), tonumber(a[4]))
    if not bf then
        return unchanged(keys[1], err(e))
    end
    bf_store(bf, {}, false)
    return OK
end)

-- BF.ADD / BF.MADD / BF.INSERT and the TFBF* aliases.
-- ARGV: mode ('add' | 'madd' | 'insert'), rate, ratio, capacity, expansion (used when the key
-- is created), nocreate ('1' | ''), validate_scale_to ('' = none), then h1, h2 per item.
server.register_function('tp_bf_add', function(keys, a)
    local single = a[1] == 'add'
    local rate, ratio, cap, expansion = tonumber(a[2]), tonumber(a[3]), tonumber(a[4]), tonumber(a[5])
    if a[7] ~= '' then
        local _, e = bf_max_scaled(cap, rate, ratio, expansion, tonumber(a[7]))
        if e then
            return err(e)
        end
    end
    local bf = bf_load(keys[1])
    if bf == false then
        return unchanged(keys[1], err(WRONGTYPE))
    elseif bf == nil then
        if a[6] == '1' then
            return unchanged(keys[1], err(E_NOT_FOUND))
        end
        local e
        bf, e = bf_new(keys[1], rate, ratio, cap, expansion)
        if not bf then
            return unchanged(keys[1], err(e))
        end
    end
    if not single then
        local e = bf_validate_add(bf, (#a - 7) / 2)
        if e then
            if bf.fresh then
                bf_store(bf, {}, false)
                return err(e)
            end
            return unchanged(keys[1], err(e))
        end
    end
    return bf_add_items(bf, a, 8, single)
end)

-- BF.EXISTS / BF.MEXISTS. ARGV: multi ('1' | ''), then h1, h2 per item.
server.register_function{function_name = 'tp_bf_exists', flags = {'no-writes'}, callback = function(keys, a)
    local bf = bf_load(keys[1])
    if bf == false then
        return err(WRONGTYPE)
    end
    local nitems = (#a - 1) / 2
    local results = {}
    if bf == nil then
        for it = 1, nitems do
            results[it] = 0
        end
    else
        local h1s, h2s = {}, {}
        for it = 1, nitems do
            h1s[it], h2s[it] = tonumber(a[2 * it]), tonumber(a[2 * it + 1])
        end
        local views = bf_stored_views(bf, h1s, h2s, nitems, #bf.filters)
        for it = 1, nitems do
            results[it] = bf_find(views, #views, h1s[it], h2s[it]) and 1 or 0
        end
    end
    if a[1] == '1' then
        return results
    end
    return results[1]
end}

local function bf_card(bf)
    local n = 0
    for i = 1, #bf.filters do
        n = n + bf.filters[i].items
    end
    return n
end

local function bf_capacity(bf)
    local n = 0
    for i = 1, #bf.filters do
        n = n + bf.filters[i].cap
    end
    return n
end

server.register_function{function_name = 'tp_bf_card', flags = {'no-writes'}, callback = function(keys)
    local bf = bf_load(keys[1])
    if bf == false then
        return err(WRONGTYPE)
    elseif bf == nil then
        return 0
    end
    return bf_card(bf)
end}

-- BF.INFO. ARGV: field ('' = all; otherwise upper-cased by the proxy)
server.register_function{function_name = 'tp_bf_info', flags = {'no-writes'}, callback = function(keys, a)
    local bf = bf_load(keys[1])
    if bf == false then
        return err(WRONGTYPE)
    elseif bf == nil then
        return err(E_NOT_FOUND)
    end
    local scaling = bf.expansion > 0
    local function max_scaled()
        return bf_max_scaled(bf.filters[1].cap, bf.rate, bf.ratio, bf.expansion, -1)
    end
    local field = a[1]
    if field == '' then
        local r = {
            {ok = 'Capacity'}, bf_capacity(bf),
            {ok = 'Size'}, bf_size(bf),
            {ok = 'Number of filters'}, #bf.filters,
            {ok = 'Number of items inserted'}, bf_card(bf),
            {ok = 'Error rate'}, {double = bf.rate},
            {ok = 'Expansion rate'},
        }
        if not scaling then
            r[#r + 1] = false
            return r
        end
        local max, e = max_scaled()
        if e then
            return err(e)
        end
        r[#r + 1] = bf.expansion
        r[#r + 1] = {ok = 'Tightening ratio'}
        r[#r + 1] = {double = bf.ratio}
        r[#r + 1] = {ok = 'Max scaled capacity'}
        r[#r + 1] = max
        return r
    elseif field == 'CAPACITY' then
        return bf_capacity(bf)
    elseif field == 'SIZE' then
        return bf_size(bf)
    elseif field == 'FILTERS' then
        return #bf.filters
    elseif field == 'ITEMS' then
        return bf_card(bf)
    elseif field == 'ERROR' then
        return {double = bf.rate}
    elseif field == 'EXPANSION' then
        return scaling and bf.expansion or false
    elseif field == 'TIGHTENING' and scaling then
        return {double = bf.ratio}
    elseif field == 'MAXSCALEDCAPACITY' and scaling then
        local max, e = max_scaled()
        if e then
            return err(e)
        end
        return max
    end
    return err(E_INVALID_INFO)
end}
