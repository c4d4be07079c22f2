"""Library-scale scoring: streaming ``molgdl predict``/``embed`` with resume (:mod:`.stream`), chunked readers
(:mod:`.inputs`) and writers (:mod:`.outputs`), ``--shard K/N`` and ``molgdl merge`` (:mod:`.shards`,
:mod:`.merge`). docs/screening.md."""
