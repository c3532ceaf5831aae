/* Frame boundaries of RESP, in C: the per-command and per-reply work of a proxy that shares
 * upstream connections. Optional: tairproxy/framing.py falls back to Python when this module
 * is not built, with the same results (tests/test_framing.py compares the two).
 *
 * scan_replies(buf, pos, n, stop) -> (end, count)
 *     Up to n complete server replies from pos; stops before a reply that is incomplete or
 *     whose first byte is in `stop` (e.g. b">-": pushes and errors need a look of their own).
 * scan_commands(buf, pos, max_bulk) -> (commands, status)
 *     Complete canonical client commands ("*N" then N "$len" bulks, as Valkey accepts them)
 *     from pos: a list of (end, lower-cased name). status: 0 the rest is incomplete (or
 *     nothing is left), 1 what follows is not canonical (inline, another type, a bad length:
 *     the exact Python scanner takes over), 2 a bulk is longer than max_bulk.
 * parse_command(buf, pos) -> list[bytes]
 *     The arguments of the complete canonical command at pos (found by scan_commands).
 * encode_command(args) -> bytes
 *     A list or tuple of bytes-like arguments as one RESP command (every Tair call and
 *     batch is encoded so).
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <string.h>

/* Parse a decimal length "[-]digits\r\n" at p (p < end); returns the pointer after "\r\n",
 * NULL when the line is incomplete, or (char *)1 when it is malformed. */
static const char *read_length(const char *p, const char *end, long long *out, int allow_negative) {
    const char *nl = memchr(p, '\r', (size_t)(end - p));
    if (nl == NULL || nl + 1 >= end) return NULL;
    if (nl[1] != '\n') return (const char *)1;
    int neg = 0;
    if (p < nl && *p == '-') {
        if (!allow_negative) return (const char *)1;
        neg = 1;
        p++;
    }
    if (p == nl || nl - p > 18) return (const char *)1;
    if (*p == '0' && nl - p > 1) return (const char *)1; /* no leading zeros */
    long long v = 0;
    for (; p < nl; p++) {
        if (*p < '0' || *p > '9') return (const char *)1;
        v = v * 10 + (*p - '0');
    }
    *out = neg ? -v : v;
    return nl + 2;
}

/* End of one complete reply at p, NULL if incomplete, (char *)1 if malformed. */
static const char *reply_end(const char *p, const char *end) {
    long long todo = 1;
    while (todo > 0) {
        if (p >= end) return NULL;
        char kind = *p;
        switch (kind) {
        case '+': case '-': case ':': case '_': case ',': case '#': case '(': {
            const char *nl = memchr(p, '\n', (size_t)(end - p));
            if (nl == NULL) return NULL;
            p = nl + 1;
            todo--;
            break;
        }
        case '$': case '!': case '=': {
            long long len;
            const char *q = read_length(p + 1, end, &len, 1);
            if (q == NULL) return NULL;
            if (q == (const char *)1) return q;
            todo--;
            if (len >= 0) {
                if (end - q < len + 2) return NULL;
                q += len + 2;
            }
            p = q;
            break;
        }
        case '*': case '~': case '>': case '%': case '|': {
            long long count;
            const char *q = read_length(p + 1, end, &count, 1);
            if (q == NULL) return NULL;
            if (q == (const char *)1) return q;
            todo--;
            if (count > 0) todo += (kind == '%' || kind == '|') ? 2 * count : count;
            if (kind == '|') todo++;
            p = q;
            break;
        }
        default:
            return (const char *)1;
        }
    }
    return p;
}

static PyObject *scan_replies(PyObject *self, PyObject *args) {
    Py_buffer view;
    Py_ssize_t pos, n;
    const char *stop;
    Py_ssize_t stop_len;
    if (!PyArg_ParseTuple(args, "y*nny#", &view, &pos, &n, &stop, &stop_len)) return NULL;
    const char *base = view.buf, *end = base + view.len, *p = base + pos;
    Py_ssize_t count = 0;
    while (count < n && p < end) {
        if (stop_len && memchr(stop, *p, (size_t)stop_len) != NULL) break;
        const char *q = reply_end(p, end);
        if (q == NULL) break;
        if (q == (const char *)1) {
            PyBuffer_Release(&view);
            PyErr_SetString(PyExc_ValueError, "unparsable reply");
            return NULL;
        }
        p = q;
        count++;
    }
    Py_ssize_t at = p - base;
    PyBuffer_Release(&view);
    return Py_BuildValue("nn", at, count);
}

/* End of the canonical command at p; NULL if incomplete; (char *)1 not canonical;
 * (char *)2 a bulk over max_bulk. Sets *name/*name_len to its first argument. */
static const char *command_end(const char *p, const char *end, long long max_bulk,
                               const char **name, Py_ssize_t *name_len) {
    if (*p != '*') return (const char *)1;
    long long count;
    const char *q = read_length(p + 1, end, &count, 0);
    if (q == NULL) return NULL;
    if (q == (const char *)1 || count <= 0 || count > 1024 * 1024) return (const char *)1;
    for (long long i = 0; i < count; i++) {
        if (q >= end) return NULL;
        if (*q != '$') return (const char *)1;
        long long len;
        const char *r = read_length(q + 1, end, &len, 0);
        if (r == NULL) return NULL;
        if (r == (const char *)1) return r;
        if (len > max_bulk) return (const char *)2;
        if (end - r < len + 2) return NULL;
        if (i == 0) {
            *name = r;
            *name_len = (Py_ssize_t)len;
        }
        q = r + len + 2;
    }
    return q;
}

static PyObject *scan_commands(PyObject *self, PyObject *args) {
    Py_buffer view;
    Py_ssize_t pos;
    long long max_bulk;
    if (!PyArg_ParseTuple(args, "y*nL", &view, &pos, &max_bulk)) return NULL;
    PyObject *out = PyList_New(0);
    if (out == NULL) {
        PyBuffer_Release(&view);
        return NULL;
    }
    const char *base = view.buf, *end = base + view.len, *p = base + pos;
    int status = 0;
    char lower[64];
    while (p < end) {
        const char *name = NULL;
        Py_ssize_t name_len = 0;
        const char *q = command_end(p, end, max_bulk, &name, &name_len);
        if (q == NULL) break;
        if (q == (const char *)1 || q == (const char *)2) {
            status = q == (const char *)1 ? 1 : 2;
            break;
        }
        PyObject *lname;
        if (name_len <= (Py_ssize_t)sizeof(lower)) {
            for (Py_ssize_t i = 0; i < name_len; i++) {
                char c = name[i];
                lower[i] = (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c;
            }
            lname = PyBytes_FromStringAndSize(lower, name_len);
        } else {
            lname = PyBytes_FromStringAndSize("", 0); /* no command name is that long */
        }
        PyObject *item = lname ? Py_BuildValue("nN", (Py_ssize_t)(q - base), lname) : NULL;
        if (item == NULL || PyList_Append(out, item) < 0) {
            Py_XDECREF(item);
            Py_DECREF(out);
            PyBuffer_Release(&view);
            return NULL;
        }
        Py_DECREF(item);
        p = q;
    }
    PyBuffer_Release(&view);
    return Py_BuildValue("Ni", out, status);
}

static PyObject *parse_command(PyObject *self, PyObject *args) {
    Py_buffer view;
    Py_ssize_t pos;
    if (!PyArg_ParseTuple(args, "y*n", &view, &pos)) return NULL;
    const char *base = view.buf, *end = base + view.len, *p = base + pos;
    long long count;
    const char *q = (p < end && *p == '*') ? read_length(p + 1, end, &count, 0) : NULL;
    if (q == NULL || q == (const char *)1) {
        PyBuffer_Release(&view);
        PyErr_SetString(PyExc_ValueError, "not a complete canonical command");
        return NULL;
    }
    PyObject *out = PyList_New((Py_ssize_t)count);
    if (out == NULL) {
        PyBuffer_Release(&view);
        return NULL;
    }
    for (long long i = 0; i < count; i++) {
        long long len;
        const char *r = (q < end && *q == '$') ? read_length(q + 1, end, &len, 0) : NULL;
        if (r == NULL || r == (const char *)1 || end - r < len + 2) {
            Py_DECREF(out);
            PyBuffer_Release(&view);
            PyErr_SetString(PyExc_ValueError, "not a complete canonical command");
            return NULL;
        }
        PyObject *arg = PyBytes_FromStringAndSize(r, (Py_ssize_t)len);
        if (arg == NULL) {
            Py_DECREF(out);
            PyBuffer_Release(&view);
            return NULL;
        }
        PyList_SET_ITEM(out, (Py_ssize_t)i, arg);
        q = r + len + 2;
    }
    PyBuffer_Release(&view);
    return out;
}

static char *put_header(char *p, char kind, Py_ssize_t n) {
    char digits[24];
    int len = 0;
    *p++ = kind;
    do {
        digits[len++] = (char)('0' + n % 10);
        n /= 10;
    } while (n > 0);
    while (len > 0) *p++ = digits[--len];
    *p++ = '\r';
    *p++ = '\n';
    return p;
}

static PyObject *encode_command(PyObject *self, PyObject *arg) {
    PyObject *seq = PySequence_Fast(arg, "encode_command: a list or tuple of bytes");
    if (seq == NULL) return NULL;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
    PyObject **items = PySequence_Fast_ITEMS(seq);
    PyObject *converted = NULL; /* the arguments as bytes, when some were other bytes-likes */
    for (Py_ssize_t i = 0; i < n; i++) {
        if (!PyBytes_CheckExact(items[i])) {
            converted = PyList_New(n);
            if (converted == NULL) goto fail;
            for (Py_ssize_t j = 0; j < n; j++) {
                PyObject *b = PyBytes_CheckExact(items[j]) ? (Py_INCREF(items[j]), items[j])
                                                            : PyBytes_FromObject(items[j]);
                if (b == NULL) goto fail;
                PyList_SET_ITEM(converted, j, b);
            }
            items = PySequence_Fast_ITEMS(converted);
            break;
        }
    }
    Py_ssize_t total = 24;
    for (Py_ssize_t i = 0; i < n; i++) total += PyBytes_GET_SIZE(items[i]) + 24;
    PyObject *out = PyBytes_FromStringAndSize(NULL, total);
    if (out == NULL) goto fail;
    char *start = PyBytes_AS_STRING(out), *p = put_header(start, '*', n);
    for (Py_ssize_t i = 0; i < n; i++) {
        Py_ssize_t len = PyBytes_GET_SIZE(items[i]);
        p = put_header(p, '$', len);
        memcpy(p, PyBytes_AS_STRING(items[i]), (size_t)len);
        p += len;
        *p++ = '\r';
        *p++ = '\n';
    }
    Py_XDECREF(converted);
    Py_DECREF(seq);
    if (_PyBytes_Resize(&out, p - start) < 0) return NULL;
    return out;
fail:
    Py_XDECREF(converted);
    Py_DECREF(seq);
    return NULL;
}

static PyMethodDef methods[] = {
    {"scan_replies", scan_replies, METH_VARARGS, "Up to n complete replies: (end, count)."},
    {"scan_commands", scan_commands, METH_VARARGS, "Complete canonical commands: ([(end, name)], status)."},
    {"parse_command", parse_command, METH_VARARGS, "The arguments of one complete canonical command."},
    {"encode_command", encode_command, METH_O, "A list or tuple of bytes-like arguments as one RESP command."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_speedups", NULL, -1, methods};

PyMODINIT_FUNC PyInit__speedups(void) { return PyModule_Create(&module); }
