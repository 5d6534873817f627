/* The recorder's hot path in C: the same observer as recorder._observed_run.
 *
 * Optional.  recorder.py works without it (the Python observer: about 1.5x on
 * the benchmark of 10,000 tasks, against about 1.25x with this one); when it
 * has been compiled (`python -m asynclab.accelerate`, run by `course.py setup`
 * and by Binder's postBuild), recorder.py uses it in place of its Python
 * observer of Handle._run.  It does what _observed_run does, in the same order,
 * for the common cases, and calls recorder.py's helpers (_plain_callback,
 * _first_sight, _step_end, _adopt) for everything else, so the rules are
 * written once, in Python.  tests/test_observers.py compares the two.
 *
 * The common cases:
 *   - asyncio's own trivial callbacks (a timer waking a sleep...): run;
 *   - no measurement open on this loop: run;
 *   - a measured task's step that ends waiting in one of asyncio's coroutines
 *     on a future, that only yielded, or that returned: run, timed, one entry
 *     in the log (a StepLog, below);
 *   - the record of a task seen for the first time, when it is labelled by its
 *     function alone (fast_record).
 *
 * Being C, it adds no Python frame: a task's stack shows the loop's frames and
 * Handle._run, as it does without the recorder.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stddef.h>  /* offsetof */
#include <time.h>
#if PY_VERSION_HEX < 0x030C0000
#include <structmember.h>  /* PyMemberDef, before 3.12 */
#endif

/* Reading an attribute through PyObject_GetAttr looks the name up in the
 * type every time (about 150 machine instructions here); the interpreter's own
 * specialised bytecode reads a slot at its offset instead.  An accessor does
 * the same: for the exact types it was set up for, it reads the member's slot
 * (a __slots__ entry, or a C type's member) or calls the getter directly, and
 * for any other object it asks PyObject_GetAttr, so the answer is the same. */
typedef struct {
    PyObject *name;
    PyTypeObject *types[2];
    Py_ssize_t offset;  /* of an object member, or -1 */
    int none_if_null;   /* T_OBJECT (None when unset) rather than T_OBJECT_EX (AttributeError) */
    getter get;
    void *closure;
} Acc;

#ifndef Py_RELATIVE_OFFSET  /* 3.12+ */
#define Py_RELATIVE_OFFSET 0
#endif
#define MEMBER_OBJECT 6      /* Py_T_OBJECT (T_OBJECT before 3.12) */
#define MEMBER_OBJECT_EX 16  /* Py_T_OBJECT_EX */

static int
acc_setup(Acc *a, PyObject *type1, PyObject *type2, const char *name)
{
    Py_XSETREF(a->name, PyUnicode_InternFromString(name));
    if (a->name == NULL)
        return -1;
    a->types[0] = (PyTypeObject *)type1;
    a->types[1] = (PyTypeObject *)(type2 ? type2 : type1);
    a->offset = -1;
    a->get = NULL;
    PyObject *d = PyObject_GetAttr(type1, a->name);  /* the descriptor itself */
    if (d == NULL) {
        PyErr_Clear();  /* not a descriptor we know: always the slow way */
        return 0;
    }
    if (Py_IS_TYPE(d, &PyMemberDescr_Type)) {
        PyMemberDef *m = ((PyMemberDescrObject *)d)->d_member;
        if ((m->type == MEMBER_OBJECT || m->type == MEMBER_OBJECT_EX) && !(m->flags & Py_RELATIVE_OFFSET)) {
            a->offset = m->offset;
            a->none_if_null = m->type == MEMBER_OBJECT;
        }
    } else if (Py_IS_TYPE(d, &PyGetSetDescr_Type)) {
        PyGetSetDef *g = ((PyGetSetDescrObject *)d)->d_getset;
        a->get = g->get;
        a->closure = g->closure;
    }
    if (type2 != NULL && type2 != type1) {  /* a subclass must see the very same descriptor */
        PyObject *d2 = PyObject_GetAttr(type2, a->name);
        if (d2 == NULL)
            PyErr_Clear();
        if (d2 != d)
            a->types[1] = a->types[0];
        Py_XDECREF(d2);
    }
    Py_DECREF(d);
    return 0;
}

static inline PyObject *
acc_get(Acc *a, PyObject *obj)  /* new reference, or NULL with an error */
{
    PyTypeObject *t = Py_TYPE(obj);
    if (t == a->types[0] || t == a->types[1]) {
        if (a->offset >= 0) {
            PyObject *v = *(PyObject **)((char *)obj + a->offset);
            if (v != NULL)
                return Py_NewRef(v);
            if (a->none_if_null)
                Py_RETURN_NONE;
        } else if (a->get != NULL) {
            return a->get(obj, a->closure);
        }
    }
    return PyObject_GetAttr(obj, a->name);
}

static inline int
acc_set(Acc *a, PyObject *obj, PyObject *value)
{
    PyTypeObject *t = Py_TYPE(obj);
    if ((t == a->types[0] || t == a->types[1]) && a->offset >= 0 && !a->none_if_null) {
        PyObject **slot = (PyObject **)((char *)obj + a->offset);
        Py_XSETREF(*slot, Py_NewRef(value));
        return 0;
    }
    return PyObject_SetAttr(obj, a->name, value);
}

static Acc A_callback, A_loop, A_context, A_wloop, A_records, A_step, A_step_t0, A_log, A_factory,
    A_ref, A_rindex, A_seg_ref, A_seg_label, A_open_in, A_oindex, A_segment, A_fixed, A_named,
    A_reasons, A_fut_waiter, A_coro, A_cr_await, A_cr_code, A_done_at, A_done_state, A_labelled, A_rec_list,
    A_r_owner, A_r_origin, A_r_runs, A_r_task_name, A_r_base, A_r_error, A_i_origin, A_i_runs, A_i_profile, A_i_code,
    A_qualname, A_co_qualname;

static PyObject *g_globals;       /* recorder's module dict: _WATCH, _WATCHES */
static PyObject *g_run;           /* the original Handle._run */
static PyObject *g_clock;         /* recording.clock */
static double g_threshold;        /* BLOCKING_THRESHOLD */
static PyObject *g_codes;         /* recorder._CODES: id(code) -> _CodeInfo */
static PyObject *g_trivial;       /* tuple of code objects run without a look */
static PyObject *g_c_task;        /* asyncio.Task */
static PyObject *g_task_types;    /* tuple for isinstance */
static PyObject *g_owner_var;     /* the ContextVar marking measured tasks */
static PyObject *g_plain_callback, *g_first_sight, *g_step_end, *g_adopt;
static PyObject *g_record_type, *g_gone;  /* _TaskRecord, and its weak references' callback */
static long g_labels;  /* _LABELS_WITH_ARGUMENTS */

static PyObject *s_callback, *s_loop, *s_self, *s_records, *s_ref, *s_step, *s_step_t0, *s_context,
    *s_get, *s_fut_waiter, *s_open_in, *s_task_factory, *s_factory, *s_done, *s_log, *s_index,
    *s_seg_label, *s_seg_ref, *s_yield, *s_coro, *s_segment, *s_fixed, *s_named, *s_timer, *s_reasons,
    *s_WATCH, *s_WATCHES, *s_code, *s_cr_await, *s_wloop, *s_cancelled, *s_exception, *s_returned, *s_get_name, *s_task_prefix;

static PyObject *g_one;  /* 1 */

#define CALL1(f, a) PyObject_CallOneArg((f), (a))

static PyObject *
call_run(PyObject *handle)
{
    return CALL1(g_run, handle);
}

static int g_native_clock;  /* recording.clock is time.perf_counter, which is CLOCK_MONOTONIC here */

static double
now(int *failed)
{
#ifdef __linux__
    if (g_native_clock) {
        struct timespec ts;
        if (clock_gettime(CLOCK_MONOTONIC, &ts) == 0) {
            /* as CPython turns it into seconds (PyTime_AsSecondsDouble), so both clocks agree */
            long long ns = (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
            return ns % 1000000000LL == 0 ? (double)(ns / 1000000000LL) : (double)ns / 1e9;
        }
    }
#endif
    PyObject *t = PyObject_CallNoArgs(g_clock);
    if (t == NULL) {
        *failed = 1;
        return 0.0;
    }
    double v = PyFloat_AsDouble(t);
    Py_DECREF(t);
    if (v == -1.0 && PyErr_Occurred())
        *failed = 1;
    return v;
}

/* Attribute or NULL (error cleared when it is only missing). */
static PyObject *
get_optional(PyObject *obj, PyObject *name)
{
    PyObject *v = PyObject_GetAttr(obj, name);
    if (v == NULL && PyErr_ExceptionMatches(PyExc_AttributeError))
        PyErr_Clear();
    return v;
}

/* info = _CODES.get(id(code)): borrowed, NULL when not known yet (or on error).
 * recorder._CODES never forgets an entry and each entry holds its code object,
 * so a code object's address names one entry for good: a small cache of
 * addresses saves building an int and a dict lookup each time. */
#define CODE_CACHE 256
static struct { PyObject *code, *info; } code_cache[CODE_CACHE];

static PyObject *
code_info(PyObject *code)
{
    size_t slot = ((size_t)code >> 4) % CODE_CACHE;
    if (code_cache[slot].code == code)
        return code_cache[slot].info;
    PyObject *key = PyLong_FromVoidPtr(code);
    if (key == NULL)
        return NULL;
    PyObject *info = PyDict_GetItemWithError(g_codes, key);
    Py_DECREF(key);
    if (info != NULL) {
        code_cache[slot].code = code;
        code_cache[slot].info = info;
    }
    return info;
}

static int
is_trivial(PyObject *callback)
{
    if (Py_TYPE(callback) != &PyFunction_Type)
        return 0;
    PyObject *code = PyFunction_GET_CODE(callback);
    Py_ssize_t n = PyTuple_GET_SIZE(g_trivial);
    for (Py_ssize_t i = 0; i < n; i++)
        if (PyTuple_GET_ITEM(g_trivial, i) == code)
            return 1;
    return 0;
}


/* ------------------------------------------------------------------------
 * StepLog: the watch's log, as recorder.py reads it (len, slices of tuples,
 * append), with the observer's common entries kept as plain C structs instead
 * of a tuple, two floats and an int each: a measured step then allocates
 * almost nothing that outlives it, so the program's own objects keep the
 * processor's caches.  An entry becomes the tuple recorder.py always had,
 * (session, record, step, t0, t1, segment, reason), when it is read.
 * ------------------------------------------------------------------------ */
typedef struct {
    PyObject *obj;       /* an entry appended from Python (a tuple), or NULL for a struct entry */
    long long step;
    double t0, t1;
    long owner, rec;
    PyObject *segment;   /* strong references (strings or None) */
    PyObject *named;
} Entry;

typedef struct {
    PyObject_HEAD
    Py_ssize_t len, cap;
    Entry *items;
} StepLog;

static PyTypeObject StepLogType;

static Entry *
steplog_grow(StepLog *log)
{
    if (log->len == log->cap) {
        Py_ssize_t cap = log->cap ? log->cap * 2 : 1024;
        Entry *items = PyMem_Realloc(log->items, (size_t)cap * sizeof(Entry));
        if (items == NULL) {
            PyErr_NoMemory();
            return NULL;
        }
        log->items = items;
        log->cap = cap;
    }
    return &log->items[log->len];
}

static int
steplog_push(StepLog *log, long owner, long rec, long long step, double t0, double t1,
             PyObject *segment, PyObject *named)
{
    Entry *e = steplog_grow(log);
    if (e == NULL)
        return -1;
    e->obj = NULL;
    e->owner = owner; e->rec = rec; e->step = step; e->t0 = t0; e->t1 = t1;
    e->segment = Py_NewRef(segment);
    e->named = Py_NewRef(named);
    log->len++;
    return 0;
}

static PyObject *
steplog_append(StepLog *log, PyObject *obj)
{
    Entry *e = steplog_grow(log);
    if (e == NULL)
        return NULL;
    memset(e, 0, sizeof(Entry));
    e->obj = Py_NewRef(obj);
    log->len++;
    Py_RETURN_NONE;
}

static PyObject *
entry_tuple(Entry *e)
{
    if (e->obj != NULL)
        return Py_NewRef(e->obj);
    return Py_BuildValue("(llLddOO)", e->owner, e->rec, e->step, e->t0, e->t1, e->segment, e->named);
}

static Py_ssize_t
steplog_length(StepLog *log)
{
    return log->len;
}

static PyObject *
steplog_item(StepLog *log, Py_ssize_t i)
{
    if (i < 0 || i >= log->len) {
        PyErr_SetString(PyExc_IndexError, "StepLog index out of range");
        return NULL;
    }
    return entry_tuple(&log->items[i]);
}

static PyObject *
steplog_subscript(StepLog *log, PyObject *key)
{
    if (PySlice_Check(key)) {
        Py_ssize_t start, stop, step;
        if (PySlice_Unpack(key, &start, &stop, &step) < 0)
            return NULL;
        Py_ssize_t n = PySlice_AdjustIndices(log->len, &start, &stop, step);
        PyObject *out = PyList_New(n);
        if (out == NULL)
            return NULL;
        for (Py_ssize_t k = 0, i = start; k < n; k++, i += step) {
            PyObject *t = entry_tuple(&log->items[i]);
            if (t == NULL) {
                Py_DECREF(out);
                return NULL;
            }
            PyList_SET_ITEM(out, k, t);
        }
        return out;
    }
    Py_ssize_t i = PyNumber_AsSsize_t(key, PyExc_IndexError);
    if (i == -1 && PyErr_Occurred())
        return NULL;
    if (i < 0)
        i += log->len;
    return steplog_item(log, i);
}

static void
steplog_dealloc(StepLog *log)
{
    for (Py_ssize_t i = 0; i < log->len; i++) {
        Entry *e = &log->items[i];
        Py_XDECREF(e->obj);
        Py_XDECREF(e->segment);
        Py_XDECREF(e->named);
    }
    PyMem_Free(log->items);
    Py_TYPE(log)->tp_free((PyObject *)log);
}

static PyMethodDef steplog_methods[] = {
    {"append", (PyCFunction)steplog_append, METH_O, "Add an entry (a tuple) at the end."},
    {NULL, NULL, 0, NULL}};

static PySequenceMethods steplog_as_sequence = {
    .sq_length = (lenfunc)steplog_length,
    .sq_item = (ssizeargfunc)steplog_item,
};

static PyMappingMethods steplog_as_mapping = {
    .mp_length = (lenfunc)steplog_length,
    .mp_subscript = (binaryfunc)steplog_subscript,
};

static PyTypeObject StepLogType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "asynclab._fastrun.StepLog",
    .tp_basicsize = sizeof(StepLog),
    .tp_dealloc = (destructor)steplog_dealloc,
    .tp_as_sequence = &steplog_as_sequence,
    .tp_as_mapping = &steplog_as_mapping,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "The recorder's log of steps: a list of tuples to read, compact inside.",
    .tp_methods = steplog_methods,
    .tp_new = PyType_GenericNew,
};

/* The log entry of the common cases, built as recorder's own: returns 1 when
 * logged, 0 when the step is not a common case (nothing done), -1 on error. */
static int
log_common(PyObject *watch, PyObject *handle, PyObject *task, PyObject *rec, int exact,
           PyObject *step, double t0, double t1, PyObject *t0o, PyObject *t1o)
{
    int result = 0;
    PyObject *owner = NULL, *open_in = NULL, *loop = NULL, *tf = NULL, *wf = NULL, *fut = NULL;
    PyObject *node = NULL, *nxt = NULL, *inner = NULL, *named = NULL, *entry = NULL, *log = NULL;
    PyObject *oindex = NULL, *rindex = NULL, *segment = NULL;
    PyObject *ctx, *args[3];

    if (rec == Py_None || t1 - t0 > g_threshold)
        return 0;
    ctx = acc_get(&A_context, handle);
    if (ctx == NULL)
        return -1;
    args[0] = ctx; args[1] = g_owner_var; args[2] = Py_None;
    owner = PyObject_VectorcallMethod(s_get, args, 3 | PY_VECTORCALL_ARGUMENTS_OFFSET, NULL);
    Py_DECREF(ctx);
    if (owner == NULL)
        return -1;
    if (owner == Py_None)
        goto done;
    if ((open_in = acc_get(&A_open_in, owner)) == NULL) goto error;
    if (open_in != watch) goto done;
    if ((loop = acc_get(&A_loop, handle)) == NULL) goto error;
    if ((tf = PyObject_GetAttr(loop, s_task_factory)) == NULL) goto error;
    if ((wf = acc_get(&A_factory, watch)) == NULL) goto error;
    if (tf != wf) goto done;
    if ((fut = acc_get(&A_fut_waiter, task)) == NULL) goto error;
    if (fut == Py_None) {
        /* sleep(0) or a bare yield, unless it finished */
        PyObject *d = PyObject_CallMethodNoArgs(task, s_done);
        if (d == NULL) goto error;
        int finished = PyObject_IsTrue(d);
        Py_DECREF(d);
        if (finished < 0) goto error;
        if (finished) {
            /* its last step: the common end (it returned) is noted here as
             * _TaskRecord.note_done does; cancelled or raised, Python notes it */
            if (!exact) goto done;
            PyObject *c = PyObject_CallMethodNoArgs(task, s_cancelled);
            if (c == NULL) goto error;
            int cancelled = PyObject_IsTrue(c);
            Py_DECREF(c);
            if (cancelled != 0) { if (cancelled < 0) goto error; goto done; }
            PyObject *exc = PyObject_GetAttr(task, s_exception);  /* read, not retrieved */
            if (exc == NULL) { PyErr_Clear(); goto done; }
            int raised = exc != Py_None;
            Py_DECREF(exc);
            if (raised) goto done;
            if (acc_set(&A_done_at, rec, t1o) < 0 || acc_set(&A_done_state, rec, s_returned) < 0)
                goto error;
            segment = Py_NewRef(Py_None);
            named = Py_NewRef(Py_None);
            goto log;
        }
        PyObject *seg_ref = acc_get(&A_seg_ref, rec);
        if (seg_ref == NULL) goto error;
        if (seg_ref != Py_None) {
            segment = acc_get(&A_seg_label, rec);
            if (segment == NULL) { Py_DECREF(seg_ref); goto error; }
        } else {
            segment = Py_NewRef(Py_None);
        }
        Py_DECREF(seg_ref);
        named = Py_NewRef(s_yield);
    } else {
        if (!exact) goto done;  /* a subclass may show another coroutine: Python asks it */
        if ((node = acc_get(&A_coro, task)) == NULL) goto error;
        if (!PyCoro_CheckExact(node)) goto done;
        if ((nxt = acc_get(&A_cr_await, node)) == NULL) goto error;
        if (!PyCoro_CheckExact(nxt)) goto done;
        if ((inner = acc_get(&A_cr_await, nxt)) == NULL) goto error;
        if (PyCoro_CheckExact(inner) || PyGen_CheckExact(inner)) goto done;
        PyObject *ocode = acc_get(&A_cr_code, node);
        if (ocode == NULL) goto error;
        PyObject *outer_info = code_info(ocode);
        Py_DECREF(ocode);
        if (outer_info == NULL) { if (PyErr_Occurred()) goto error; goto done; }
        Py_INCREF(outer_info);
        PyObject *icode = acc_get(&A_cr_code, nxt);
        if (icode == NULL) { Py_DECREF(outer_info); goto error; }
        PyObject *info = code_info(icode);
        Py_DECREF(icode);
        if (info == NULL) { Py_DECREF(outer_info); if (PyErr_Occurred()) goto error; goto done; }
        Py_INCREF(info);
        int ok = 0;  /* 1: named found; 0: not a common case; -1: error */
        PyObject *v = acc_get(&A_segment, info);
        int inner_segment = v ? PyObject_IsTrue(v) : -1;
        Py_XDECREF(v);
        v = acc_get(&A_segment, outer_info);
        int outer_segment = v ? PyObject_IsTrue(v) : -1;
        Py_XDECREF(v);
        if (inner_segment < 0 || outer_segment < 0) {
            ok = -1;
        } else if (inner_segment) {
            ok = 0;  /* the learner's coroutine inside: a segment, Python names it */
        } else {
            PyObject *fixed = NULL;
            if (outer_segment) {
                fixed = acc_get(&A_fixed, info);
                if (fixed == NULL) ok = -1;
            }
            if (ok >= 0 && fixed != NULL && fixed != Py_None) {
                named = Py_NewRef(fixed);
                ok = 1;
            } else if (ok >= 0) {
                named = outer_segment ? Py_NewRef(Py_None) : acc_get(&A_named, outer_info);
                if (named == Py_None) {
                    Py_DECREF(named);
                    named = acc_get(&A_named, info);
                }
                if (named == NULL) {
                    ok = -1;
                } else {
                    int timer = named == Py_None ? 1 : PyObject_RichCompareBool(named, s_timer, Py_EQ);
                    if (timer < 0) {
                        ok = -1;
                    } else if (timer) {
                        Py_CLEAR(named);
                        PyObject *reasons = acc_get(&A_reasons, info);
                        if (reasons == NULL) {
                            ok = -1;
                        } else {
                            PyObject *r = PyDict_GetItemWithError(reasons, (PyObject *)Py_TYPE(fut));
                            if (r != NULL && PyObject_IsTrue(r) == 1) {
                                named = Py_NewRef(r);
                                ok = 1;
                            } else {
                                ok = PyErr_Occurred() ? -1 : 0;  /* not cached yet: Python finds it */
                            }
                            Py_DECREF(reasons);
                        }
                    } else {
                        ok = 1;
                    }
                }
            }
            Py_XDECREF(fixed);
        }
        Py_DECREF(info);
        Py_DECREF(outer_info);
        if (ok < 0) goto error;
        if (ok == 0) goto done;
        segment = Py_NewRef(Py_None);
    }
log:
    if ((oindex = acc_get(&A_oindex, owner)) == NULL) goto error;
    if ((rindex = acc_get(&A_rindex, rec)) == NULL) goto error;
    if ((log = acc_get(&A_log, watch)) == NULL) goto error;
    if (Py_IS_TYPE(log, &StepLogType) && PyLong_CheckExact(oindex) && PyLong_CheckExact(rindex)
            && PyLong_CheckExact(step)) {
        long oi = PyLong_AsLong(oindex), ri = PyLong_AsLong(rindex);
        long long si = PyLong_AsLongLong(step);
        if (PyErr_Occurred()) goto error;
        if (steplog_push((StepLog *)log, oi, ri, si, t0, t1, segment, named) < 0) goto error;
    } else {
        entry = PyTuple_Pack(7, oindex, rindex, step, t0o, t1o, segment, named);
        if (entry == NULL) goto error;
        if (PyList_Append(log, entry) < 0) goto error;
    }
    result = 1;
    goto done;
error:
    result = -1;
done:
    Py_XDECREF(owner); Py_XDECREF(open_in); Py_XDECREF(loop); Py_XDECREF(tf); Py_XDECREF(wf);
    Py_XDECREF(fut); Py_XDECREF(node); Py_XDECREF(nxt); Py_XDECREF(inner); Py_XDECREF(named);
    Py_XDECREF(entry); Py_XDECREF(log); Py_XDECREF(oindex); Py_XDECREF(rindex); Py_XDECREF(segment);
    return result;
}



/* ------------------------------------------------------------------------
 * TimerHook: recorder._watch_timeouts's shadow of loop._timer_handle_cancelled,
 * in C: asyncio calls it for every timer cancelled (every sleep() cancels its
 * own), and only an asyncio.timeout's deadline is worth a look.
 *     hook(handle): if handle._callback is a Timeout's _on_timeout, call
 *     note(handle) first; then original(handle), whose result it returns.
 * ------------------------------------------------------------------------ */
typedef struct {
    PyObject_HEAD
    PyObject *note, *original, *fire;
    vectorcallfunc vectorcall;
} TimerHook;

static PyObject *
timerhook_call(TimerHook *hook, PyObject *const *args, size_t nargsf, PyObject *kwnames)
{
    Py_ssize_t n = PyVectorcall_NARGS(nargsf);
    if (n == 1 && kwnames == NULL) {
        PyObject *cb = acc_get(&A_callback, args[0]);
        if (cb == NULL)
            return NULL;
        int deadline = PyMethod_Check(cb) && PyMethod_GET_FUNCTION(cb) == hook->fire;
        Py_DECREF(cb);
        if (deadline) {
            PyObject *r = PyObject_CallOneArg(hook->note, args[0]);
            if (r == NULL)
                return NULL;
            Py_DECREF(r);
        }
    }
    return PyObject_Vectorcall(hook->original, args, nargsf, kwnames);
}

static PyObject *
timerhook_new(PyTypeObject *type, PyObject *args, PyObject *kwds)
{
    PyObject *note, *original, *fire;
    if (!PyArg_ParseTuple(args, "OOO:TimerHook", &note, &original, &fire))
        return NULL;
    TimerHook *hook = (TimerHook *)type->tp_alloc(type, 0);
    if (hook == NULL)
        return NULL;
    hook->note = Py_NewRef(note);
    hook->original = Py_NewRef(original);
    hook->fire = Py_NewRef(fire);
    hook->vectorcall = (vectorcallfunc)timerhook_call;
    return (PyObject *)hook;
}

static int
timerhook_traverse(TimerHook *hook, visitproc visit, void *arg)
{
    Py_VISIT(hook->note);
    Py_VISIT(hook->original);
    Py_VISIT(hook->fire);
    return 0;
}

static int
timerhook_clear(TimerHook *hook)
{
    Py_CLEAR(hook->note);
    Py_CLEAR(hook->original);
    Py_CLEAR(hook->fire);
    return 0;
}

static void
timerhook_dealloc(TimerHook *hook)
{
    PyObject_GC_UnTrack(hook);
    timerhook_clear(hook);
    Py_TYPE(hook)->tp_free((PyObject *)hook);
}

static PyTypeObject TimerHookType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "asynclab._fastrun.TimerHook",
    .tp_basicsize = sizeof(TimerHook),
    .tp_dealloc = (destructor)timerhook_dealloc,
    .tp_vectorcall_offset = offsetof(TimerHook, vectorcall),
    .tp_call = PyVectorcall_Call,
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_HAVE_VECTORCALL,
    .tp_doc = "TimerHook(note, original, fire): loop._timer_handle_cancelled, looking out for deadlines.",
    .tp_traverse = (traverseproc)timerhook_traverse,
    .tp_clear = (inquiry)timerhook_clear,
    .tp_new = timerhook_new,
};

/* The record of a task seen for the first time, made here in the common case:
 * what _TaskRecord.__init__ and _Watch.record make for a task asyncio named
 * itself ("Task-7"), running a coroutine function whose first
 * _LABELS_WITH_ARGUMENTS tasks were already labelled with their arguments (so
 * this one is labelled by its function alone, as "fetch(…)").  Returns a new
 * reference: the record, Py_None when the task is not measured, or NULL with
 * no error set when recorder.py must make it (every other case). */
static PyObject *
fast_record(PyObject *watch, PyObject *handle, PyObject *task)
{
    PyObject *ctx = NULL, *owner = NULL, *coro = NULL, *code = NULL, *labelled = NULL, *key = NULL;
    PyObject *name = NULL, *runs = NULL, *icode = NULL, *co_qualname = NULL, *rec = NULL, *ref = NULL;
    PyObject *rec_list = NULL, *records = NULL, *index = NULL, *tkey = NULL, *result = NULL;
    PyObject *fields[3] = {NULL, NULL, NULL};  /* origin, runs, profile of the code */

    if ((ctx = acc_get(&A_context, handle)) == NULL) goto slow;
    PyObject *args[3] = {ctx, g_owner_var, Py_None};
    owner = PyObject_VectorcallMethod(s_get, args, 3 | PY_VECTORCALL_ARGUMENTS_OFFSET, NULL);
    if (owner == NULL) goto slow;
    if (owner == Py_None) { result = Py_NewRef(Py_None); goto done; }  /* not measured: no record */
    if ((PyObject *)Py_TYPE(task) != g_c_task) goto slow;
    if ((coro = acc_get(&A_coro, task)) == NULL || !PyCoro_CheckExact(coro)) goto slow;
    if ((code = acc_get(&A_cr_code, coro)) == NULL) goto slow;
    PyObject *info = code_info(code);  /* borrowed */
    if (info == NULL) goto slow;
    if ((labelled = acc_get(&A_labelled, watch)) == NULL || !PyDict_Check(labelled)) goto slow;
    if ((key = PyLong_FromVoidPtr(code)) == NULL) goto slow;
    PyObject *seen = PyDict_GetItemWithError(labelled, key);  /* borrowed */
    if (seen == NULL || !PyLong_Check(seen) || PyLong_AsLong(seen) < g_labels) goto slow;
    if ((name = PyObject_CallMethodNoArgs(task, s_get_name)) == NULL || !PyUnicode_Check(name)) goto slow;
    if (PyUnicode_Tailmatch(name, s_task_prefix, 0, PY_SSIZE_T_MAX, -1) != 1
            && PyUnicode_CompareWithASCIIString(name, "None") != 0)
        goto slow;  /* a name the code gave it: Python labels it with that */
    if ((runs = acc_get(&A_qualname, coro)) == NULL) goto slow;
    if ((icode = acc_get(&A_i_code, info)) == NULL || (co_qualname = acc_get(&A_co_qualname, icode)) == NULL)
        goto slow;
    if (runs != Py_None && runs != co_qualname) {
        int same = PyObject_RichCompareBool(runs, co_qualname, Py_EQ);
        if (same != 1) goto slow;  /* a decorator gave the coroutine another name */
    }
    if ((fields[0] = acc_get(&A_i_origin, info)) == NULL || (fields[1] = acc_get(&A_i_runs, info)) == NULL
            || (fields[2] = acc_get(&A_i_profile, info)) == NULL)
        goto slow;
    if ((rec_list = acc_get(&A_rec_list, watch)) == NULL || !PyList_Check(rec_list)) goto slow;
    if ((records = acc_get(&A_records, watch)) == NULL || !PyDict_Check(records)) goto slow;
    PyTypeObject *rtype = (PyTypeObject *)g_record_type;
    if ((rec = rtype->tp_alloc(rtype, 0)) == NULL) goto slow;
    if ((ref = PyWeakref_NewRef(task, g_gone)) == NULL) goto slow;
    if ((index = PyLong_FromSsize_t(PyList_GET_SIZE(rec_list))) == NULL) goto slow;
    if (acc_set(&A_ref, rec, ref) < 0 || acc_set(&A_rindex, rec, index) < 0 || acc_set(&A_r_owner, rec, owner) < 0
            || acc_set(&A_r_origin, rec, fields[0]) < 0 || acc_set(&A_r_runs, rec, fields[1]) < 0
            || acc_set(&A_r_task_name, rec, name) < 0 || acc_set(&A_r_base, rec, fields[2]) < 0
            || acc_set(&A_seg_ref, rec, Py_None) < 0 || acc_set(&A_seg_label, rec, Py_None) < 0
            || acc_set(&A_done_at, rec, Py_None) < 0 || acc_set(&A_done_state, rec, Py_None) < 0
            || acc_set(&A_r_error, rec, Py_None) < 0)
        goto slow;
    if ((tkey = PyLong_FromVoidPtr(task)) == NULL) goto slow;
    if (PyDict_SetItem(records, tkey, rec) < 0) goto slow;
    if (PyList_Append(rec_list, rec) < 0) {  /* undo: never a record in one and not the other */
        PyObject *t, *v, *tb;
        PyErr_Fetch(&t, &v, &tb);
        PyDict_DelItem(records, tkey);
        PyErr_Restore(t, v, tb);
        goto slow;
    }
    result = Py_NewRef(rec);
    goto done;
slow:
    if (PyErr_Occurred() && PyErr_ExceptionMatches(PyExc_Exception))
        PyErr_Clear();  /* Python makes the record, and keeps what went wrong */
    result = NULL;  /* with an error still set only for KeyboardInterrupt and the like */
done:
    Py_XDECREF(ctx); Py_XDECREF(owner); Py_XDECREF(coro); Py_XDECREF(code); Py_XDECREF(labelled);
    Py_XDECREF(key); Py_XDECREF(name); Py_XDECREF(runs); Py_XDECREF(icode); Py_XDECREF(co_qualname);
    Py_XDECREF(rec); Py_XDECREF(ref); Py_XDECREF(rec_list); Py_XDECREF(records); Py_XDECREF(index);
    Py_XDECREF(tkey);
    for (int i = 0; i < 3; i++)
        Py_XDECREF(fields[i]);
    return result;
}

/* Handle._run, observed.  METH_NOARGS on a method descriptor of Handle: self is the handle. */
static PyObject *
observed_run(PyObject *handle, PyObject *Py_UNUSED(ignored))
{
    PyObject *callback, *watch, *task = NULL, *rec = NULL, *outer = NULL, *stepo = NULL;
    PyObject *t0o = NULL, *t1o = NULL, *res = NULL;
    int failed = 0, exact;
    double t0, t1;

    callback = acc_get(&A_callback, handle);
    if (callback == NULL)
        return NULL;
    if (is_trivial(callback)) {
        Py_DECREF(callback);
        return call_run(handle);
    }
    watch = PyDict_GetItemWithError(g_globals, s_WATCH);  /* borrowed */
    if (watch == NULL && PyErr_Occurred()) { Py_DECREF(callback); return NULL; }
    if (watch == Py_None)
        watch = NULL;
    Py_XINCREF(watch);
    if (watch != NULL) {
        PyObject *loop = acc_get(&A_loop, handle);
        PyObject *wloop = loop ? acc_get(&A_wloop, watch) : NULL;
        if (wloop == NULL) { Py_XDECREF(loop); Py_DECREF(watch); Py_DECREF(callback); return NULL; }
        if (loop != wloop) {
            PyObject *watches = PyDict_GetItemWithError(g_globals, s_WATCHES);
            PyObject *other = watches ? PyDict_GetItemWithError(watches, loop) : NULL;
            if (other == NULL && PyErr_Occurred()) {
                Py_DECREF(loop); Py_DECREF(wloop); Py_DECREF(watch); Py_DECREF(callback);
                return NULL;
            }
            Py_XINCREF(other);
            Py_SETREF(watch, other);
        }
        Py_DECREF(loop);
        Py_DECREF(wloop);
    }
    if (watch == NULL) {  /* nothing measured on this loop */
        Py_DECREF(callback);
        res = call_run(handle);
        if (res == NULL)
            return NULL;
        PyObject *watches = PyDict_GetItemWithError(g_globals, s_WATCHES);
        if (watches != NULL && PyDict_GET_SIZE(watches) > 0) {  /* measure() started inside this very step */
            Py_DECREF(res);
            return CALL1(g_adopt, handle);
        }
        return res;
    }
    if (PyMethod_Check(callback))  /* callback.__self__, read as getattr would */
        task = Py_NewRef(PyMethod_GET_SELF(callback));
    else if (PyCFunction_Check(callback) && PyCFunction_GET_SELF(callback) != NULL)
        task = Py_NewRef(PyCFunction_GET_SELF(callback));
    else
        task = get_optional(callback, s_self);
    Py_DECREF(callback);
    if (task == NULL && PyErr_Occurred()) { Py_DECREF(watch); return NULL; }
    if (task == NULL)
        task = Py_NewRef(Py_None);
    exact = (PyObject *)Py_TYPE(task) == g_c_task;
    if (!exact) {
        int is_task = PyObject_IsInstance(task, g_task_types);
        if (is_task <= 0) {
            Py_DECREF(task);
            if (is_task < 0) { Py_DECREF(watch); return NULL; }
            PyObject *pargs[2] = {watch, handle};
            res = PyObject_Vectorcall(g_plain_callback, pargs, 2, NULL);
            Py_DECREF(watch);
            return res;
        }
    }
    /* rec = watch.records.get(id(task)); a record of a dead task at the same address is not its */
    {
        PyObject *records = acc_get(&A_records, watch);
        PyObject *key = records ? PyLong_FromVoidPtr(task) : NULL;
        rec = key ? PyDict_GetItemWithError(records, key) : NULL;
        Py_XINCREF(rec);
        Py_XDECREF(key);
        Py_XDECREF(records);
        if (rec == NULL && PyErr_Occurred()) goto fail;
        if (rec != NULL) {
            PyObject *ref = acc_get(&A_ref, rec);
            PyObject *alive = ref ? PyObject_CallNoArgs(ref) : NULL;
            Py_XDECREF(ref);
            if (alive == NULL) goto fail;
            if (alive != task)
                Py_CLEAR(rec);
            Py_DECREF(alive);
        }
        if (rec == NULL) {
            rec = fast_record(watch, handle, task);
            if (rec == NULL && PyErr_Occurred()) goto fail;
        }
        if (rec == NULL) {
            PyObject *fargs[3] = {watch, handle, task};
            rec = PyObject_Vectorcall(g_first_sight, fargs, 3, NULL);
            if (rec == NULL) goto fail;
        }
    }
    if ((outer = acc_get(&A_step_t0, watch)) == NULL) goto fail;
    {
        PyObject *last = acc_get(&A_step, watch);
        if (last == NULL) goto fail;
        stepo = PyNumber_Add(last, g_one);
        Py_DECREF(last);
        if (stepo == NULL || acc_set(&A_step, watch, stepo) < 0) goto fail;
    }
    t0 = now(&failed);
    if (failed || (t0o = PyFloat_FromDouble(t0)) == NULL || acc_set(&A_step_t0, watch, t0o) < 0)
        goto fail;

    res = call_run(handle);

    {
        /* finally: the step's end is noted whether it returned or raised */
        PyObject *exc_type = NULL, *exc_value = NULL, *exc_tb = NULL;
        if (res == NULL)
            PyErr_Fetch(&exc_type, &exc_value, &exc_tb);
        t1 = now(&failed);
        int ok = !failed && (t1o = PyFloat_FromDouble(t1)) != NULL
                 && acc_set(&A_step_t0, watch, outer) == 0;
        if (ok) {
            int logged = log_common(watch, handle, task, rec, exact, stepo, t0, t1, t0o, t1o);
            if (logged < 0) {
                if (PyErr_ExceptionMatches(PyExc_Exception))
                    PyErr_Clear();  /* the Python helper does it again, and keeps what went wrong */
                else
                    ok = 0;  /* KeyboardInterrupt and the like go on, as out of Python's `except Exception` */
            }
            if (ok && logged <= 0) {
                PyObject *sargs[7] = {watch, handle, task, rec, stepo, t0o, t1o};
                PyObject *r = PyObject_Vectorcall(g_step_end, sargs, 7, NULL);
                if (r == NULL)
                    ok = 0;
                Py_XDECREF(r);
            }
        }
        if (!ok) {  /* an error of the recorder's own beyond what _step_end keeps: it wins, as in Python */
            if (exc_type != NULL) {  /* ...with the step's own exception as its __context__, as a finally: gives */
                PyObject *t2, *v2, *tb2;
                PyErr_Fetch(&t2, &v2, &tb2);
                PyErr_NormalizeException(&exc_type, &exc_value, &exc_tb);
                if (exc_value != NULL && exc_tb != NULL)
                    PyException_SetTraceback(exc_value, exc_tb);
                PyErr_NormalizeException(&t2, &v2, &tb2);
                if (v2 != NULL && exc_value != NULL && v2 != exc_value)
                    PyException_SetContext(v2, exc_value);  /* steals exc_value */
                else
                    Py_XDECREF(exc_value);
                Py_XDECREF(exc_type);
                Py_XDECREF(exc_tb);
                PyErr_Restore(t2, v2, tb2);
            }
            Py_CLEAR(res);
        } else if (exc_type != NULL) {
            PyErr_Restore(exc_type, exc_value, exc_tb);
        }
    }
    Py_DECREF(watch); Py_DECREF(task); Py_DECREF(rec); Py_DECREF(outer); Py_DECREF(stepo);
    Py_DECREF(t0o); Py_XDECREF(t1o);
    return res;
fail:
    Py_DECREF(watch); Py_XDECREF(task); Py_XDECREF(rec); Py_XDECREF(outer); Py_XDECREF(stepo);
    Py_XDECREF(t0o);
    return NULL;
}

static PyMethodDef observed_run_def = {
    "_run", (PyCFunction)observed_run, METH_NOARGS,
    "Handle._run, timed and looked at by asynclab's recorder (its C version)."};

static PyObject *
need(PyObject *ns, const char *key)
{
    PyObject *v = PyDict_GetItemString(ns, key);  /* borrowed */
    if (v == NULL && !PyErr_Occurred())
        PyErr_Format(PyExc_KeyError, "configure() needs %s", key);
    return v;
}

/* configure(ns) -> the method descriptor to put on Handle as _run */
static PyObject *
configure(PyObject *Py_UNUSED(module), PyObject *ns)
{
    if (!PyDict_Check(ns)) {
        PyErr_SetString(PyExc_TypeError, "configure() takes the dict of what the observer uses");
        return NULL;
    }
    PyObject *handle_type = need(ns, "handle_type");
    PyObject *threshold = need(ns, "threshold");
    PyObject *trivial = need(ns, "trivial");
    if (handle_type == NULL || threshold == NULL || trivial == NULL)
        return NULL;
    if (!PyType_Check(handle_type) || !PyTuple_Check(trivial)) {
        PyErr_SetString(PyExc_TypeError, "handle_type must be a class and trivial a tuple");
        return NULL;
    }
    struct { PyObject **slot; const char *key; } items[] = {
        {&g_globals, "globals"}, {&g_run, "run"}, {&g_clock, "clock"}, {&g_codes, "codes"},
        {&g_trivial, "trivial"}, {&g_c_task, "c_task"}, {&g_task_types, "task_types"},
        {&g_owner_var, "owner_var"}, {&g_plain_callback, "plain_callback"},
        {&g_first_sight, "first_sight"}, {&g_step_end, "step_end"}, {&g_adopt, "adopt"},
    };
    for (size_t i = 0; i < sizeof(items) / sizeof(items[0]); i++) {
        PyObject *v = need(ns, items[i].key);
        if (v == NULL)
            return NULL;
        Py_XSETREF(*items[i].slot, Py_NewRef(v));
    }
    if (!PyDict_Check(g_globals) || !PyDict_Check(g_codes)) {
        PyErr_SetString(PyExc_TypeError, "globals and codes must be dicts");
        return NULL;
    }
    PyObject *timer_type = need(ns, "timer_handle_type"), *watch_type = need(ns, "watch_type"),
             *record_type = need(ns, "record_type"), *session_type = need(ns, "session_type"),
             *info_type = need(ns, "info_type");
    if (!timer_type || !watch_type || !record_type || !session_type || !info_type)
        return NULL;
    PyObject *coro_type = (PyObject *)&PyCoro_Type;
    struct { Acc *a; PyObject *t1, *t2; const char *name; } accs[] = {
        {&A_callback, handle_type, timer_type, "_callback"}, {&A_loop, handle_type, timer_type, "_loop"},
        {&A_context, handle_type, timer_type, "_context"}, {&A_wloop, watch_type, NULL, "loop"},
        {&A_records, watch_type, NULL, "records"}, {&A_step, watch_type, NULL, "step"},
        {&A_step_t0, watch_type, NULL, "step_t0"}, {&A_log, watch_type, NULL, "log"},
        {&A_factory, watch_type, NULL, "factory"}, {&A_ref, record_type, NULL, "ref"},
        {&A_rindex, record_type, NULL, "index"}, {&A_seg_ref, record_type, NULL, "seg_ref"},
        {&A_seg_label, record_type, NULL, "seg_label"}, {&A_done_at, record_type, NULL, "done_at"},
        {&A_done_state, record_type, NULL, "done_state"}, {&A_open_in, session_type, NULL, "open_in"},
        {&A_oindex, session_type, NULL, "index"}, {&A_segment, info_type, NULL, "segment"},
        {&A_fixed, info_type, NULL, "fixed"}, {&A_named, info_type, NULL, "named"},
        {&A_reasons, info_type, NULL, "reasons"}, {&A_fut_waiter, g_c_task, NULL, "_fut_waiter"},
        {&A_coro, g_c_task, NULL, "_coro"}, {&A_cr_await, coro_type, NULL, "cr_await"},
        {&A_cr_code, coro_type, NULL, "cr_code"}, {&A_labelled, watch_type, NULL, "labelled"},
        {&A_rec_list, watch_type, NULL, "rec_list"}, {&A_r_owner, record_type, NULL, "owner"},
        {&A_r_origin, record_type, NULL, "origin"}, {&A_r_runs, record_type, NULL, "runs"},
        {&A_r_task_name, record_type, NULL, "task_name"}, {&A_r_base, record_type, NULL, "base"},
        {&A_r_error, record_type, NULL, "error"}, {&A_i_origin, info_type, NULL, "origin"},
        {&A_i_runs, info_type, NULL, "runs"}, {&A_i_profile, info_type, NULL, "profile"},
        {&A_i_code, info_type, NULL, "code"}, {&A_qualname, coro_type, NULL, "__qualname__"},
        {&A_co_qualname, (PyObject *)&PyCode_Type, NULL, "co_qualname"},
    };
    for (size_t i = 0; i < sizeof(accs) / sizeof(accs[0]); i++) {
        if (!PyType_Check(accs[i].t1) || (accs[i].t2 && !PyType_Check(accs[i].t2))) {
            PyErr_Format(PyExc_TypeError, "configure(): the type for %s is not a class", accs[i].name);
            return NULL;
        }
        if (acc_setup(accs[i].a, accs[i].t1, accs[i].t2, accs[i].name) < 0)
            return NULL;
    }
    PyObject *labels = need(ns, "labels_with_arguments"), *gone = need(ns, "gone");
    if (labels == NULL || gone == NULL || (g_labels = PyLong_AsLong(labels)) == -1)
        return NULL;
    Py_XSETREF(g_record_type, Py_NewRef(record_type));
    Py_XSETREF(g_gone, Py_NewRef(gone));
    PyObject *native = need(ns, "native_clock");
    if (native == NULL || (g_native_clock = PyObject_IsTrue(native)) < 0)
        return NULL;
    memset(code_cache, 0, sizeof(code_cache));
    g_threshold = PyFloat_AsDouble(threshold);
    if (g_threshold == -1.0 && PyErr_Occurred())
        return NULL;
    return PyDescr_NewMethod((PyTypeObject *)handle_type, &observed_run_def);
}

static PyMethodDef methods[] = {
    {"configure", configure, METH_O, "configure(ns) -> the observer to put on Handle as _run"},
    {NULL, NULL, 0, NULL}};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_fastrun",
    "The recorder's hot path in C (optional; see recorder.py).", -1, methods};

PyMODINIT_FUNC
PyInit__fastrun(void)
{
    struct { PyObject **slot; const char *text; } names[] = {
        {&s_callback, "_callback"}, {&s_loop, "_loop"}, {&s_self, "__self__"}, {&s_records, "records"},
        {&s_ref, "ref"}, {&s_step, "step"}, {&s_step_t0, "step_t0"}, {&s_context, "_context"},
        {&s_get, "get"}, {&s_fut_waiter, "_fut_waiter"}, {&s_open_in, "open_in"},
        {&s_task_factory, "_task_factory"}, {&s_factory, "factory"}, {&s_done, "done"}, {&s_log, "log"},
        {&s_index, "index"}, {&s_seg_label, "seg_label"}, {&s_seg_ref, "seg_ref"}, {&s_yield, "yield"},
        {&s_coro, "_coro"}, {&s_segment, "segment"}, {&s_fixed, "fixed"}, {&s_named, "named"},
        {&s_timer, "timer"}, {&s_reasons, "reasons"}, {&s_WATCH, "_WATCH"}, {&s_WATCHES, "_WATCHES"},
        {&s_code, "cr_code"}, {&s_cr_await, "cr_await"}, {&s_wloop, "loop"}, {&s_cancelled, "cancelled"},
        {&s_exception, "_exception"}, {&s_returned, "returned"},
        {&s_get_name, "get_name"}, {&s_task_prefix, "Task-"},
    };
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if ((*names[i].slot = PyUnicode_InternFromString(names[i].text)) == NULL)
            return NULL;
    if ((g_one = PyLong_FromLong(1)) == NULL)
        return NULL;
    if (PyType_Ready(&StepLogType) < 0 || PyType_Ready(&TimerHookType) < 0)
        return NULL;
    PyObject *m = PyModule_Create(&module);
    if (m != NULL && (PyModule_AddObjectRef(m, "StepLog", (PyObject *)&StepLogType) < 0
                      || PyModule_AddObjectRef(m, "TimerHook", (PyObject *)&TimerHookType) < 0))
        Py_CLEAR(m);
#ifdef FASTRUN_SOURCE
    /* the SHA-256 of the source it was built from: recorder.py ignores a build of another version */
    if (m != NULL && PyModule_AddStringConstant(m, "SOURCE", FASTRUN_SOURCE) < 0)
        Py_CLEAR(m);
#endif
    return m;
}
