"""Bit tricks on solutions held as ints (an ``nk_n``-bit mask): compiled as single instructions,
and plain Python when Numba's JIT is disabled."""

from numba.core.extending import overload
from numba.cpython.unsafe.numbers import trailing_zeros


def lowest_bit(x):
    """The index of the lowest 1 bit of ``x`` > 0."""
    return (int(x) & -int(x)).bit_length() - 1


@overload(lowest_bit, inline="always")
def _lowest_bit(x):
    return lambda x: trailing_zeros(x)
