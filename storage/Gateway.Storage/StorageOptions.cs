namespace Gateway.Storage;

/// <summary>
/// Store-and-forward settings, bound from the <c>Storage</c> configuration section.
/// Defaults follow reference/reliability.md §1.6 point 4 and suit a Raspberry Pi with an SD card.
/// </summary>
public sealed class StorageOptions
{
    /// <summary>Directory holding <see cref="DatabaseFileName"/>; created if missing. Default <c>./data</c>.</summary>
    public string DataDir { get; set; } = "data";

    /// <summary>Database file name inside <see cref="DataDir"/>. Default <c>gateway.db</c>.</summary>
    public string DatabaseFileName { get; set; } = "gateway.db";

    /// <summary>
    /// Upper bound of the accounted outbox size (payload + device name + attribute keys + a fixed
    /// per-row overhead). Default 1 GiB. Over it, telemetry drops its oldest rows, client attributes
    /// are compacted, and otherwise new writes are refused.
    /// </summary>
    public long MaxQueueBytes { get; set; } = 1L << 30;

    /// <summary>
    /// Age after which telemetry, RPC replies, claims and attribute requests are expired from the
    /// outbox (counted as drops). Measured on the store clock, so a wall-clock jump cannot expire
    /// the queue. Client attributes and connect/disconnect rows never expire. Default 7 days.
    /// </summary>
    public TimeSpan MaxAge { get; set; } = TimeSpan.FromDays(7);

    /// <summary>
    /// Dead letters (rows the cloud will never take, kept for the operator: <c>coap-gateway dead-letter</c>)
    /// older than this are deleted by the maintenance sweep. Wall-clock age since they were moved. Default 30 days.
    /// </summary>
    public TimeSpan DeadLetterMaxAge { get; set; } = TimeSpan.FromDays(30);

    /// <summary>
    /// Accounted bytes the dead-letter table may hold, apart from <see cref="MaxQueueBytes"/>; over it the
    /// sweep deletes the oldest dead letters. Default 64 MiB.
    /// </summary>
    public long DeadLetterMaxBytes { get; set; } = 64L << 20;

    /// <summary>
    /// Free space (bytes) kept on the data directory's file system so SQLite never meets ENOSPC in
    /// the middle of a checkpoint. It also has to absorb the WAL (up to ~4 MiB with the default
    /// auto-checkpoint) and index overhead, which the queue-byte accounting leaves out. Default 64 MiB.
    /// </summary>
    public long MinFreeBytes { get; set; } = 64L << 20;

    /// <summary>
    /// Extra time the writer waits after the first enqueue of a batch to collect more before it
    /// commits. Zero (the default) still groups: everything that arrived while the previous commit
    /// was in flight goes into the next one, so an idle gateway adds no latency and a busy one
    /// commits about once per fsync.
    /// </summary>
    public TimeSpan GroupCommitWindow { get; set; } = TimeSpan.Zero;

    /// <summary>Most enqueues per commit. 1 gives one transaction per row (the benchmark's baseline). Default 1024.</summary>
    public int MaxBatchSize { get; set; } = 1024;

    /// <summary>How long SQLite waits for another connection's lock (the CLI, a checkpoint). Default 5 s.</summary>
    public TimeSpan BusyTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Integrity check run when the database is opened. Default <see cref="IntegrityCheck.Quick"/>.</summary>
    public IntegrityCheck IntegrityCheckOnOpen { get; set; } = IntegrityCheck.Quick;

    /// <summary>Retry-after hint returned with a refused enqueue (the device layer sends it as Max-Age). Default 30 s.</summary>
    public TimeSpan RefusalRetryAfter { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Values kept per Exosite dataport alias (newest first). Default 16.</summary>
    public int DataportHistory { get; set; } = 16;

    /// <summary>Copy buffer of <c>content add</c>/<c>firmware add</c> and cloud firmware downloads as they are written to <c>&lt;DataDir&gt;/content</c>. Default 16 KiB.</summary>
    public int ContentChunkSize { get; set; } = 16 * 1024;

    /// <summary>
    /// Largest content or firmware blob stored (bodies are files in <c>&lt;DataDir&gt;/content</c>, served block by
    /// block from disk, never held in memory). Default 1 GiB: the most a CoAP Block2 transfer in 1024-byte
    /// blocks can address (RFC 7959 §2.2: NUM is 20 bits).
    /// </summary>
    public long MaxContentBytes { get; set; } = 1L << 30;

    /// <summary>Directory of the content bodies.</summary>
    public string ContentDir => Path.Combine(DataDir, "content");

    /// <summary>Full path of the database file.</summary>
    public string DatabasePath => Path.Combine(DataDir, DatabaseFileName);
}
