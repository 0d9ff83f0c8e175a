"""What a scale and the ratios add up to, without a database."""

from crm.demo.composition import Composition


def test_default_ratios_give_the_benchmark_data_set_at_a_million_customers() -> None:
    # given the default ratios at the default benchmark scale
    composition = Composition(customers=1_000_000)

    # then the totals are the ones the benchmark suite expects
    assert composition.bulk
    assert composition.has_big_customer
    assert (composition.contacts, composition.follow_ups, composition.leads) == (2_000_000, 10_000_000, 1_000_000)
    assert (composition.deals, composition.open_deals, composition.won_deals) == (500_000, 100_000, 200_000)
    assert (composition.instalments, composition.contracts) == (1_000_000, 200_000)


def test_small_scales_make_only_the_showcase_and_no_big_customer() -> None:
    # given the default composition at the default scale
    composition = Composition(customers=2000)

    # then nothing is topped up in bulk and no customer gets thousands of follow-ups
    assert not composition.bulk
    assert (composition.leads, composition.deals, composition.instalments) == (0, 0, 0)
    assert not composition.has_big_customer
