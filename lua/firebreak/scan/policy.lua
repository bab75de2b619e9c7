-- The model scanner's policy: which imported globals are dangerous, which
-- are known-safe ML plumbing. Anything neither is "unknown", and makes
-- its file suspicious (it references code firebreak cannot vouch for).
-- See firebreak-scan(1).
--
-- rules: { module, name, class }, class "safe", "dangerous" or
-- "unknown". A module is exact, or "x.*" for x and its submodules; a
-- name is an fnmatch(3) pattern. The first matching rule wins, so
-- specific safe names come before a module-wide deny (builtins.set
-- before builtins.*). A user policy in
-- $XDG_CONFIG_HOME/firebreak/scan-policy.lua, and any `scan --policy
-- FILE`, has the same shape and is consulted before this one.
--
-- dangerous_names: an attribute path (protocol 4 names such as
-- "serialization.os.system") that passes through any of these is
-- dangerous, whatever module it starts from.
return {
  rules = {
    -- builtins: plain data types are fine, everything else is not
    { "builtins", "set", "safe" }, { "builtins", "frozenset", "safe" },
    { "builtins", "dict", "safe" }, { "builtins", "list", "safe" },
    { "builtins", "tuple", "safe" }, { "builtins", "bytearray", "safe" },
    { "builtins", "bytes", "safe" }, { "builtins", "int", "safe" },
    { "builtins", "float", "safe" }, { "builtins", "complex", "safe" },
    { "builtins", "str", "safe" }, { "builtins", "bool", "safe" },
    { "builtins", "slice", "safe" }, { "builtins", "range", "safe" },
    { "builtins", "object", "safe" }, { "builtins", "NoneType", "safe" },
    { "builtins", "*", "dangerous" },

    -- the plumbing that torch.save, numpy and plain pickles use
    { "collections", "OrderedDict", "safe" },
    { "collections", "defaultdict", "safe" },
    { "collections", "deque", "safe" }, { "collections", "Counter", "safe" },
    { "copyreg", "_reconstructor", "safe" },
    { "copyreg", "__newobj__", "safe" },
    { "copyreg", "__newobj_ex__", "safe" }, { "_codecs", "encode", "safe" },
    { "torch._utils", "_rebuild_*", "safe" },
    { "torch._tensor", "_rebuild_from_type_v2", "safe" },
    { "torch", "*Storage", "safe" }, { "torch.storage", "*Storage", "safe" },
    { "torch", "Size", "safe" }, { "torch", "device", "safe" },
    { "torch", "dtype", "safe" }, { "torch", "float*", "safe" },
    { "torch", "bfloat16", "safe" }, { "torch", "half", "safe" },
    { "torch", "double", "safe" }, { "torch", "int*", "safe" },
    { "torch", "uint*", "safe" }, { "torch", "bool", "safe" },
    { "torch", "long", "safe" }, { "torch", "short", "safe" },
    { "torch", "complex*", "safe" }, { "torch", "qint*", "safe" },
    { "torch", "quint*", "safe" }, { "torch", "strided", "safe" },
    { "torch", "sparse_*", "safe" }, { "torch", "*_format", "safe" },
    { "torch", "channels_last*", "safe" }, { "torch", "per_*", "safe" },
    { "torch", "Tensor", "safe" },
    { "torch.nn.parameter", "Parameter", "safe" },
    { "torch.serialization", "_get_layout", "safe" },
    { "numpy.core.multiarray", "_reconstruct", "safe" },
    { "numpy._core.multiarray", "_reconstruct", "safe" },
    { "numpy.core.multiarray", "scalar", "safe" },
    { "numpy._core.multiarray", "scalar", "safe" },
    { "numpy.core.numeric", "_frombuffer", "safe" },
    { "numpy._core.numeric", "_frombuffer", "safe" },
    { "numpy", "ndarray", "safe" }, { "numpy", "dtype", "safe" },
    { "numpy.dtypes", "*DType", "safe" },
    { "joblib.numpy_pickle", "NumpyArrayWrapper", "safe" },

    -- running commands, code, files, the network
    { "os.*", "*", "dangerous" }, { "posix", "*", "dangerous" },
    { "nt", "*", "dangerous" }, { "subprocess", "*", "dangerous" },
    { "_posixsubprocess", "*", "dangerous" }, { "_winapi", "*", "dangerous" },
    { "pty", "*", "dangerous" }, { "commands", "*", "dangerous" },
    { "sys", "*", "dangerous" }, { "runpy", "*", "dangerous" },
    { "webbrowser", "*", "dangerous" }, { "importlib.*", "*", "dangerous" },
    { "imp", "*", "dangerous" }, { "zipimport", "*", "dangerous" },
    { "pkgutil", "*", "dangerous" }, { "code", "*", "dangerous" },
    { "codeop", "*", "dangerous" }, { "pickle", "*", "dangerous" },
    { "_pickle", "*", "dangerous" }, { "cPickle", "*", "dangerous" },
    { "dill.*", "*", "dangerous" }, { "cloudpickle.*", "*", "dangerous" },
    { "marshal", "*", "dangerous" }, { "shelve", "*", "dangerous" },
    { "ctypes.*", "*", "dangerous" }, { "_ctypes", "*", "dangerous" },
    { "types", "CodeType", "dangerous" },
    { "types", "FunctionType", "dangerous" },
    { "types", "MethodType", "dangerous" },
    { "types", "LambdaType", "dangerous" },
    { "types", "ModuleType", "dangerous" },
    { "operator", "attrgetter", "dangerous" },
    { "operator", "methodcaller", "dangerous" },
    { "_operator", "attrgetter", "dangerous" },
    { "_operator", "methodcaller", "dangerous" },
    { "socket", "*", "dangerous" }, { "_socket", "*", "dangerous" },
    { "ssl", "*", "dangerous" }, { "shutil", "*", "dangerous" },
    { "tempfile", "*", "dangerous" }, { "io", "open*", "dangerous" },
    { "_io", "open*", "dangerous" }, { "io", "FileIO", "dangerous" },
    { "_io", "FileIO", "dangerous" }, { "codecs", "open", "dangerous" },
    { "fileinput", "*", "dangerous" }, { "urllib.*", "*", "dangerous" },
    { "urllib2", "*", "dangerous" }, { "http.*", "*", "dangerous" },
    { "httplib", "*", "dangerous" }, { "httpx.*", "*", "dangerous" },
    { "requests.*", "*", "dangerous" }, { "aiohttp.*", "*", "dangerous" },
    { "ftplib", "*", "dangerous" }, { "smtplib", "*", "dangerous" },
    { "telnetlib", "*", "dangerous" }, { "xmlrpc.*", "*", "dangerous" },
    { "multiprocessing.*", "*", "dangerous" },
    { "_thread", "*", "dangerous" }, { "threading", "*", "dangerous" },
    { "asyncio.*", "*", "dangerous" }, { "pdb", "*", "dangerous" },
    { "bdb", "*", "dangerous" }, { "cProfile", "*", "dangerous" },
    { "profile", "*", "dangerous" }, { "timeit", "*", "dangerous" },
    { "trace", "*", "dangerous" }, { "doctest", "*", "dangerous" },
    { "logging.config", "*", "dangerous" }, { "linecache", "*", "dangerous" },
    { "gc", "*", "dangerous" }, { "signal", "*", "dangerous" },
    { "platform", "popen", "dangerous" }, { "venv", "*", "dangerous" },
    { "ensurepip", "*", "dangerous" }, { "numpy", "load", "dangerous" },
    { "numpy", "loads", "dangerous" },
    { "numpy.testing._private.utils", "runstring", "dangerous" },
    { "torch", "load", "dangerous" },
    { "torch.serialization", "load", "dangerous" },
    { "torch.hub", "*", "dangerous" },
    { "torch.storage", "_load_from_bytes", "dangerous" },
    { "torch.jit", "load", "dangerous" },
  },
  dangerous_names = {
    "os", "posix", "nt", "subprocess", "sys", "builtins", "__builtins__",
    "__builtin__", "eval", "exec", "compile", "__import__", "getattr",
    "system", "popen", "importlib", "runpy", "pickle", "marshal", "ctypes",
    "socket", "shutil", "pty", "__globals__", "__code__", "__class__",
    "__subclasses__", "__reduce__", "__reduce_ex__", "__dict__", "open",
  },
}
