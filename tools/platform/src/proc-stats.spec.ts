import { spawn } from 'node:child_process';
import { MACHINE, ProcSampler, readProc } from './proc-stats';

describe('ProcSampler', () => {
  it('sees a busy process use about one core and an idle one use almost none', async () => {
    const busy = spawn(process.execPath, ['-e', 'const end = Date.now() + 20000; while (Date.now() < end);'], {
      stdio: 'ignore',
    });
    const idle = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 20000)'], { stdio: 'ignore' });
    try {
      const sampler = new ProcSampler(
        () => ({ busy: [busy.pid ?? 0], idle: [idle.pid ?? 0], gone: [2 ** 22 + 7] }),
        200,
      );
      sampler.start();
      await new Promise((r) => setTimeout(r, 2500));
      const w = sampler.window();
      sampler.stop();
      // A shared 2-core machine may give the spinning process less than a whole core: compare, do not pin.
      expect(w['busy']?.cpuPct).toBeGreaterThan(30);
      expect(w['idle']?.cpuPct).toBeLessThan(10);
      expect(w['busy']?.peakRssMb).toBeGreaterThan(10);
      expect(w['gone']).toMatchObject({ cpuPct: 0, peakRssMb: 0, processes: 0 });
      expect(w[MACHINE]?.cpuPct).toBeGreaterThan(0);
      expect(readProc(busy.pid ?? 0)?.rssKb).toBeGreaterThan(0);
    } finally {
      busy.kill('SIGKILL');
      idle.kill('SIGKILL');
    }
  });
});
