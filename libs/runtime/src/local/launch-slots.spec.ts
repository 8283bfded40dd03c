import { LaunchSlots } from './launch-slots';

const settled = () => new Promise((resolve) => setImmediate(resolve));

describe('LaunchSlots', () => {
  it('lets capacity holders in at once and the rest in arrival order as slots free', async () => {
    const slots = new LaunchSlots(2);
    const order: string[] = [];
    const take = (name: string) => slots.acquire().then((release) => (order.push(name), release));

    const [a, b] = await Promise.all([take('a'), take('b')]);
    const c = take('c');
    const d = take('d');
    await settled();
    expect(order).toEqual(['a', 'b']);

    b();
    await c;
    a();
    await d;
    expect(order).toEqual(['a', 'b', 'c', 'd']);
    expect(slots.running).toBe(2);
  });

  it('gives a slot back once however often release is called', async () => {
    const slots = new LaunchSlots(1);
    const release = await slots.acquire();
    release();
    release();
    expect(slots.running).toBe(0);
    await slots.acquire();
    expect(slots.running).toBe(1);
  });

  it('tells a watcher that a slot is free in its turn, without taking it', async () => {
    const slots = new LaunchSlots(1);
    const release = await slots.acquire();
    let free = false;
    const watching = slots.whenFree().then(() => (free = true));
    await settled();
    expect(free).toBe(false);

    release();
    await watching;
    expect(slots.running).toBe(0);
  });

  it('drops an aborted waiter without giving it a slot', async () => {
    const slots = new LaunchSlots(1);
    const release = await slots.acquire();
    const controller = new AbortController();
    const aborted = slots.acquire(controller.signal);
    const next = slots.acquire();

    controller.abort('stop');
    await expect(aborted).rejects.toBe('stop');
    release();
    await next;
    expect(slots.running).toBe(1);
  });

  it('rejects every waiter when closed', async () => {
    const slots = new LaunchSlots(1);
    await slots.acquire();
    const waiting = slots.acquire();
    const error = new Error('closing');

    slots.close(error);

    await expect(waiting).rejects.toBe(error);
    await expect(slots.whenFree()).rejects.toBe(error);
  });
});
