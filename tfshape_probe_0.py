import tensorflow as __tfs_tf__
def __tfs_ste__(value, source):
    """Same value as ``value``; its gradient also flows to ``source`` (a straight-through surrogate)."""
    import tensorflow as __tf
    v = __tf.convert_to_tensor(value)
    if not v.dtype.is_floating:
        return value
    s = __tf.reduce_mean(__tf.cast(source, v.dtype))
    return v + (s - __tf.stop_gradient(s))
def __tfs_sum_parts__(parts):
    if isinstance(parts, (list, tuple)):
        total = parts[0]
        for part in parts[1:]:
            total = total + part
        return total
    return parts
def __tfs_align__(a, b):
    """Both operands with the lower-rank one expanded along trailing axes (rank-safe broadcast)."""
    import tensorflow as __tf
    ta, tb = __tf.convert_to_tensor(a), __tf.convert_to_tensor(b)
    ra, rb = ta.shape.rank, tb.shape.rank
    if ra is None or rb is None or ra == rb or min(ra, rb) == 0:
        return a, b
    if ra < rb:
        return __tf.reshape(ta, __tf.concat([__tf.shape(ta), __tf.ones([rb - ra], __tf.int32)], 0)), b
    return a, __tf.reshape(tb, __tf.concat([__tf.shape(tb), __tf.ones([ra - rb], __tf.int32)], 0))
def __tfs_expand__(w):
    import tensorflow as __tf
    return __tf.expand_dims(__tf.convert_to_tensor(w), -1)
def __tfs_rowmean__(x):
    import tensorflow as __tf
    return __tf.reduce_mean(x, axis=-1)
def __tfs_batch_like__(w, ref):
    """``w``'s mean along its first axis, repeated for the batch of ``ref``: valid at any batch size."""
    import tensorflow as __tf
    t = __tf.cast(__tf.convert_to_tensor(w), __tf.float32)
    mean = __tf.reduce_mean(t, axis=0)
    n = __tf.shape(__tf.convert_to_tensor(ref))[0]
    return __tf.ones(__tf.concat([[n], __tf.shape(mean)], 0), __tf.float32) * mean
def __tfs_float__(x):
    import tensorflow as __tf
    return __tf.cast(x, __tf.float32)
def __tfs_int__(x):
    import tensorflow as __tf
    return __tf.cast(x, __tf.int32)
def __tfs_pos__(x):
    import tensorflow as __tf
    return __tf.maximum(x, 1e-7)
def __tfs_nonzero__(x):
    import tensorflow as __tf
    t = __tf.convert_to_tensor(x)
    if not t.dtype.is_floating:
        return x
    return __tf.where(__tf.abs(t) < 1e-7, __tf.where(t < 0, -1e-7 * __tf.ones_like(t), 1e-7 * __tf.ones_like(t)), t)
def __tfs_batch_dim__(x):
    import tensorflow as __tf
    return __tf.shape(__tf.convert_to_tensor(x))[0]
def __tfs_identity__(x, *args, **kwargs):
    return x
__tfs_import_errors__ = []
def __tfs_tap__(value):
    return value
def __tfs_weights__(y):
    import tensorflow as __tf
    return __tf.cast(__tf.range(__tf.shape(y)[0]) % 3, __tf.float32) * 0.5 + 0.5
def __tfs_instantiate__(cls):
    import inspect as __inspect
    try:
        return cls()
    except TypeError:
        params = __inspect.signature(cls).parameters.values()
        return cls(*[None for p in params if p.default is p.empty
                     and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)])

try:
    import tensorflow as tf
except Exception as __tfs_exc:
    __tfs_import_errors__.append(('import tensorflow as tf', repr(__tfs_exc)))
def switch_loss(y_true, y_pred):
    if tf.reduce_mean(y_pred) > 0.5:
        return tf.reduce_mean(tf.square(y_true - y_pred), axis=-1)
    return tf.reduce_mean(tf.abs(y_true - y_pred), axis=-1)
def __tfs_build__():
    return switch_loss
