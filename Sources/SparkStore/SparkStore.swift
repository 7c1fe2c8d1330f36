/// SQLite storage through GRDB.
public enum SparkStore {}
