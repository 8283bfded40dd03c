import { isQuantity, parseQuantity } from './quantity';

describe('parseQuantity', () => {
  it.each([
    ['0', 0],
    ['1', 1],
    ['100m', 0.1],
    ['1500m', 1.5],
    ['250u', 0.00025],
    ['5n', 5e-9],
    ['1k', 1000],
    ['2M', 2e6],
    ['3G', 3e9],
    ['1T', 1e12],
    ['1P', 1e15],
    ['1E', 1e18],
    ['1Ki', 1024],
    ['16Mi', 16 * 1024 ** 2],
    ['1.5Gi', 1.5 * 1024 ** 3],
    ['2Ti', 2 * 1024 ** 4],
    ['1Pi', 1024 ** 5],
    ['1Ei', 1024 ** 6],
    ['2e3', 2000],
    ['1E3', 1000],
    ['5e-1', 0.5],
    ['.5', 0.5],
    ['1.', 1],
    ['0.25', 0.25],
  ])('%s is %d', (text, value) => {
    expect(parseQuantity(text)).toBeCloseTo(value, 12);
  });

  it.each([
    ['', 'empty'],
    ['Mi', 'a suffix without a number'],
    ['-1', 'negative'],
    ['1 Gi', 'a space inside'],
    [' 1Gi', 'leading space'],
    ['1Gi ', 'trailing space'],
    ['1gi', 'a lowercase binary suffix'],
    ['1KB', 'a byte unit'],
    ['1Kib', 'a suffix with extra letters'],
    ['1e', 'an exponent without digits'],
    ['1e3.5', 'a fractional exponent'],
    ['1.5.5', 'two decimal points'],
    ['abc', 'letters'],
    ['0x10', 'hexadecimal'],
  ])('%j is not a quantity (%s)', (text) => {
    expect(parseQuantity(text)).toBeUndefined();
    expect(isQuantity(text)).toBe(false);
  });

  it.each([[1], [null], [undefined], [{}], [['1']]])('isQuantity(%j) is false for a value that is no string', (value) => {
    expect(isQuantity(value)).toBe(false);
  });
});
