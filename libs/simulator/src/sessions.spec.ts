import { citizenOrigin } from './sessions';

describe('where simulated citizens sign in from', () => {
  it('gives each citizen a home address in 198.18.0.0/15, the same every time, spread over the range', () => {
    const ids = Array.from({ length: 2000 }, (_, i) => `079${String(i).padStart(9, '0')}`);
    const addresses = ids.map((id) => citizenOrigin(id, 'Zr2c9VJ0bQhS1mK8xT4yWg')['x-forwarded-for']!);
    for (const a of addresses) {
      const [o1, o2, o3, o4] = a.split('.').map(Number);
      expect([o1, o2 === 18 || o2 === 19]).toEqual([198, true]);
      expect(o3! >= 0 && o3! <= 255 && o4! >= 0 && o4! <= 255).toBe(true);
    }
    expect(citizenOrigin(ids[0]!, 'another-device-id-0123')['x-forwarded-for']).toBe(addresses[0]);
    expect(new Set(addresses).size).toBeGreaterThan(1900);
    expect(new Set(addresses.map((a) => a.split('.')[1])).size).toBe(2);
  });

  it("sends the citizen's device id as it is", () => {
    expect(citizenOrigin('079000000001', 'Zr2c9VJ0bQhS1mK8xT4yWg')['x-device-id']).toBe('Zr2c9VJ0bQhS1mK8xT4yWg');
  });
});
