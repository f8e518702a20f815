using Bot.Storage.Sql;

namespace Bot.Storage.Tests.Sql;

/// <summary>
/// The statements' numbered parameters (PostgreSQL's <c>$1</c>): the text rewritten once, each argument bound to the
/// number of its name. The store's tests on PostgreSQL run every statement this way.
/// </summary>
public class SqlStatementTests
{
    [Fact]
    public void Number_NumbersNamesInTheOrderOfFirstUse_OneNumberAName()
    {
        var statement = SqlStatement.Number("UPDATE t SET a = @a, b = @b WHERE n = @n AND a <> @a");

        Assert.Equal("UPDATE t SET a = $1, b = $2 WHERE n = $3 AND a <> $1", statement.Text);
        Assert.Equal(3, statement.Count([("@a", 1), ("@b", 2), ("@n", 3)]));
    }

    [Fact]
    public void Number_LeavesQuotedTextsNamesAndCommentsAlone()
    {
        const string Sql = """
            SELECT @x, 'mail @home, it''s @y', "col@z" -- not @w
            FROM t /* nor @v */ WHERE labels ILIKE @p ESCAPE '\' AND tags @> @t
            """;

        var statement = SqlStatement.Number(Sql);

        Assert.Equal(
            """
            SELECT $1, 'mail @home, it''s @y', "col@z" -- not @w
            FROM t /* nor @v */ WHERE labels ILIKE $2 ESCAPE '\' AND tags @> $3
            """,
            statement.Text);
    }

    [Fact]
    public void Number_ATextWithADollarOfItsOwn_KeepsItsNames()
    {
        var statement = SqlStatement.Number("SELECT $$@a$$ || @b");

        Assert.Equal("SELECT $$@a$$ || @b", statement.Text);
        Assert.Equal([("@b", (object)1)], Parameters(statement, ("@b", 1)));
    }

    [Fact]
    public void Parameters_AreTheArgumentsOfTheirNames_InAnyOrder_TheUnusedLeftOut()
    {
        var statement = SqlStatement.Number("SELECT * FROM t WHERE a = @a AND b < @b LIMIT @limit");

        Assert.Equal([(null, 1), (null, 2), (null, (object)10)], Parameters(statement, ("@limit", 10), ("@a", 1), ("@unused", 7), ("@b", 2)));
        Assert.Equal([(null, 3), (null, 4), (null, (object)20)], Parameters(statement, ("@a", 3), ("@b", 4), ("@limit", 20))); // another order
        Assert.Equal([(null, 5), (null, 6), (null, (object)30)], Parameters(statement, ("@limit", 30), ("@a", 5), ("@b", 6))); // and back
    }

    [Fact]
    public void Parameters_ANameGivenNoValue_SaysWhich()
    {
        var statement = SqlStatement.Number("SELECT * FROM t WHERE a = @a AND b = @b");

        var e = Assert.Throws<InvalidOperationException>(() => Parameters(statement, ("@a", 1)));
        Assert.Contains("@b", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Named_TakesTheArgumentsAsGiven()
    {
        var statement = SqlStatement.Named("SELECT @b, @a");

        Assert.Equal("SELECT @b, @a", statement.Text);
        Assert.Equal([("@b", 2), ("@a", (object)1)], Parameters(statement, ("@b", 2), ("@a", 1)));
    }

    private static List<(string?, object)> Parameters(SqlStatement statement, params (string Name, object Value)[] args) =>
        [.. Enumerable.Range(0, statement.Count(args)).Select(i => statement.Parameter(i, args))];
}
