"""Per-partition metadata of a multi-partition run: each partition's own, on its own event."""

# No `from __future__ import annotations`: Dagster reads the asset's `context` annotation.
import dagster as dg

from podcast_assets.defs.assets import add_metadata_by_partition

PARTS = dg.DynamicPartitionsDefinition(name="things")


def _asset(extra: str | None = None):
    @dg.multi_asset(
        specs=[dg.AssetSpec("a"), dg.AssetSpec("b")], partitions_def=PARTS, can_subset=False
    )
    def pair(context: dg.AssetExecutionContext):
        keys = context.partition_keys
        for name in ("a", "b"):
            by_partition = {k: {"n": dg.MetadataValue.int(i)} for i, k in enumerate(keys)}
            if extra:
                by_partition[extra] = {"n": dg.MetadataValue.int(-1)}
            add_metadata_by_partition(context, name, by_partition)
            yield dg.MaterializeResult(asset_key=name, metadata={"run": dg.MetadataValue.int(1)})

    return pair


def run(instance, asset):
    return dg.materialize(
        [asset],
        instance=instance,
        tags={
            "dagster/asset_partition_range_start": "k1",
            "dagster/asset_partition_range_end": "k3",
        },
        raise_on_error=False,
    )


def test_metadata_by_partition_lands_on_each_partitions_materialization():
    with dg.instance_for_test() as instance:
        instance.add_dynamic_partitions("things", ["k0", "k1", "k2", "k3", "k4"])
        result = run(instance, _asset())
        assert result.success
        got = {
            (m.asset_key.path[-1], m.partition): m.metadata
            for m in (e.materialization for e in result.get_asset_materialization_events())
        }
        assert sorted(got) == [(n, k) for n in ("a", "b") for k in ("k1", "k2", "k3")]
        assert got[("b", "k3")]["n"].value == 2 and got[("a", "k1")]["run"].value == 1


def test_metadata_by_partition_refuses_a_partition_the_run_does_not_target():
    with dg.instance_for_test() as instance:
        instance.add_dynamic_partitions("things", ["k0", "k1", "k2", "k3", "k4"])
        result = run(instance, _asset(extra="k4"))
        assert not result.success
        (failure,) = [e for e in result.all_events if e.is_step_failure]
        assert "does not target: k4" in str(failure.event_specific_data.error.message)
