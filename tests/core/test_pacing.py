"""Token-bucket pacing with a fake monotonic clock: sends are spaced exactly as the limits say."""
from bot.pacing import Bucket, Pacer


class FakeTime:
    def __init__(self):
        self.t = 0.0

    def now(self) -> float:
        return self.t

    def sleep(self, seconds: float) -> None:
        self.t += seconds


def test_one_per_second_per_channel_with_independent_channels():
    ft = FakeTime()
    pacer = Pacer(ft.now, ft.sleep)
    a, b = Bucket("ch:A", 1.0), Bucket("ch:B", 1.0)
    times = []
    for bucket in (a, a, a, b):
        pacer.acquire([bucket])
        times.append(ft.t)
    assert times == [0.0, 1.0, 2.0, 2.0]  # B was never blocked by A


def test_global_bucket_caps_the_total_rate():
    ft = FakeTime()
    pacer = Pacer(ft.now, ft.sleep)
    glob = Bucket("global", 50.0, burst=50)
    for i in range(150):
        pacer.acquire([glob, Bucket(f"ch:{i}", 1.0)])
    assert 1.99 <= ft.t <= 2.01  # 50 at once, then 50 per second


def test_a_send_that_makes_two_requests_takes_two_tokens():
    ft = FakeTime()
    pacer = Pacer(ft.now, ft.sleep)
    for i in range(100):  # first DMs: open the channel, then post
        pacer.acquire([Bucket("global", 50.0, burst=50, cost=2.0), Bucket(f"dm:{i}", 1.0)])
    assert 2.99 <= ft.t <= 3.01  # 200 requests: 50 at once, then 50 per second


def test_retry_after_blocks_the_whole_bucket():
    ft = FakeTime()
    pacer = Pacer(ft.now, ft.sleep)
    ch = Bucket("ch:A", 10.0, burst=10)
    pacer.acquire([ch])
    pacer.block([ch], 5.0)
    assert pacer.wait_time([ch]) == 5.0
    pacer.acquire([ch])
    assert ft.t == 5.0
