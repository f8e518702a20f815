using System.Collections.Concurrent;
using System.Data.Common;
using System.Text;

namespace Bot.Storage.Sql;

/// <summary>
/// A statement as the provider takes it, and how the session's named arguments (<c>("@n", 42)</c>) become its parameters.
/// Written once, the SQL names its parameters (<c>@n</c>) on every engine. Where the dialect numbers them
/// (<see cref="SqlDialect.NumbersParameters"/>: PostgreSQL), the text is rewritten once (<c>$1</c>) and the parameters
/// are bound by position, without names: Npgsql then sends the text as it is, where named parameters made it parse the
/// text and look each name up on every call (the largest of the bot's own costs in Npgsql, by <c>perf</c>).
/// </summary>
internal sealed class SqlStatement
{
    private static readonly ConcurrentDictionary<string, SqlStatement> Numbered = new(StringComparer.Ordinal);

    /// <summary>Texts are the session's own, a bounded set; past this many something makes texts per call: not kept.</summary>
    private const int MostKept = 4_096;

    private readonly string[]? _names; // the name of each numbered parameter ($1 is [0]); null: named, as written
    private int[]? _argumentAt; // for each numbered parameter, where the last call had its argument

    private SqlStatement(string text, string[]? names)
    {
        Text = text;
        _names = names;
    }

    public string Text { get; }

    /// <summary>The statement as written: the parameters keep their names.</summary>
    public static SqlStatement Named(string sql) => new(sql, null);

    /// <summary>The statement with numbered parameters, rewritten once per text.</summary>
    public static SqlStatement Numbering(string sql)
    {
        if (Numbered.TryGetValue(sql, out var statement))
        {
            return statement;
        }

        statement = Number(sql);
        return Numbered.Count < MostKept ? Numbered.GetOrAdd(sql, statement) : statement;
    }

    /// <summary>
    /// <c>@name</c> becomes <c>$k</c>, a name used twice the same number, in the order of first use. Quoted texts,
    /// quoted names and comments are left as they are; a text with a <c>$</c> of its own keeps its names.
    /// </summary>
    internal static SqlStatement Number(string sql)
    {
        if (sql.Contains('$', StringComparison.Ordinal))
        {
            return Named(sql);
        }

        var names = new List<string>();
        var text = new StringBuilder(sql.Length);
        for (var i = 0; i < sql.Length;)
        {
            var c = sql[i];
            var end = c switch
            {
                '\'' or '"' => Closing(sql, i + 1, c),
                '-' when At(sql, i + 1, '-') => Closing(sql, i + 2, '\n'),
                '/' when At(sql, i + 1, '*') => sql.IndexOf("*/", i + 2, StringComparison.Ordinal) is var close and >= 0 ? close + 2 : sql.Length,
                _ => i,
            };
            if (end > i)
            {
                text.Append(sql, i, end - i);
                i = end;
                continue;
            }

            if (c == '@' && i + 1 < sql.Length && (char.IsAsciiLetter(sql[i + 1]) || sql[i + 1] == '_'))
            {
                var stop = i + 1;
                while (stop < sql.Length && (char.IsAsciiLetterOrDigit(sql[stop]) || sql[stop] == '_'))
                {
                    stop++;
                }

                var name = sql[i..stop];
                var number = names.IndexOf(name);
                if (number < 0)
                {
                    names.Add(name);
                    number = names.Count - 1;
                }

                text.Append('$').Append(number + 1);
                i = stop;
                continue;
            }

            text.Append(c);
            i++;
        }

        return new(text.ToString(), [.. names]);
    }

    private static bool At(string sql, int i, char c) => i < sql.Length && sql[i] == c;

    /// <summary>Just past the quote (or line) that closes what opened before <paramref name="from"/>: a doubled quote is one character.</summary>
    private static int Closing(string sql, int from, char close)
    {
        for (var i = from; i < sql.Length; i++)
        {
            if (sql[i] != close)
            {
                continue;
            }

            if (close != '\n' && At(sql, i + 1, close))
            {
                i++;
                continue;
            }

            return i + 1;
        }

        return sql.Length;
    }

    /// <summary>How many parameters the statement takes for <paramref name="args"/>.</summary>
    public int Count(ReadOnlySpan<(string Name, object Value)> args) => _names?.Length ?? args.Length;

    /// <summary>
    /// The <paramref name="i"/>th parameter's name (null where numbered) and value. Named, they are the arguments as
    /// given; numbered, each is the argument of its name, wherever it is (arguments the text does not use are left out).
    /// </summary>
    public (string? Name, object Value) Parameter(int i, ReadOnlySpan<(string Name, object Value)> args)
    {
        if (_names is not { } names)
        {
            return args[i];
        }

        var at = _argumentAt;
        if (at is null || at[i] >= args.Length || !string.Equals(args[at[i]].Name, names[i], StringComparison.Ordinal))
        {
            at = Locate(names, args, Text);
            _argumentAt = at; // a statement is nearly always called with its arguments in one order: found once
        }

        return (null, args[at[i]].Value);
    }

    private static int[] Locate(string[] names, ReadOnlySpan<(string Name, object Value)> args, string text)
    {
        var at = new int[names.Length];
        for (var p = 0; p < names.Length; p++)
        {
            at[p] = -1;
            for (var a = 0; a < args.Length; a++)
            {
                if (string.Equals(args[a].Name, names[p], StringComparison.Ordinal))
                {
                    at[p] = a;
                    break;
                }
            }

            if (at[p] < 0)
            {
                throw new InvalidOperationException($"The statement's parameter {names[p]} was given no value: {text}");
            }
        }

        return at;
    }

    /// <summary>Adds the statement's parameters for <paramref name="args"/> to a command.</summary>
    public void Bind(DbCommand command, ReadOnlySpan<(string Name, object Value)> args)
    {
        for (var i = 0; i < Count(args); i++)
        {
            command.Parameters.Add(Set(command.CreateParameter(), i, args));
        }
    }

    /// <summary>Adds the statement's parameters for <paramref name="args"/> to a command of a batch.</summary>
    public void Bind(DbBatchCommand command, ReadOnlySpan<(string Name, object Value)> args)
    {
        for (var i = 0; i < Count(args); i++)
        {
            command.Parameters.Add(Set(command.CreateParameter(), i, args));
        }
    }

    /// <summary>Sets the values of a command's parameters, bound before by <see cref="Bind(DbCommand, ReadOnlySpan{ValueTuple{string, object}})"/> in the same order.</summary>
    public void Rebind(DbCommand command, ReadOnlySpan<(string Name, object Value)> args)
    {
        if (command.Parameters.Count != Count(args))
        {
            throw new InvalidOperationException($"A statement was called with {Count(args)} parameters, not its {command.Parameters.Count}: {Text}");
        }

        for (var i = 0; i < command.Parameters.Count; i++)
        {
            var (name, value) = Parameter(i, args);
            var parameter = command.Parameters[i];
            if (name is not null && !string.Equals(parameter.ParameterName, name, StringComparison.Ordinal))
            {
                throw new InvalidOperationException($"A statement was called with its parameters in another order ({name} for {parameter.ParameterName}): {Text}");
            }

            parameter.Value = value;
        }
    }

    private DbParameter Set(DbParameter parameter, int i, ReadOnlySpan<(string Name, object Value)> args)
    {
        var (name, value) = Parameter(i, args);
        if (name is not null)
        {
            parameter.ParameterName = name;
        }

        parameter.Value = value;
        return parameter;
    }
}
