"""Prints a graph @c that concatenates many inputs along one axis.

usage: concat_graph.py TYPE AXIS SHAPE*COUNT...

Each SHAPE*COUNT adds COUNT inputs of SHAPE (dimensions joined by 'x', e.g.
2x3*50); the result's shape is SHAPE with the extents along AXIS summed.
"""
import sys

elem, axis, runs = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
shapes = []
for run in runs:
    shape, _, count = run.partition("*")
    shapes += [[int(d) for d in shape.split("x")]] * int(count or 1)
result = list(shapes[0])
result[axis] = sum(s[axis] for s in shapes)
def text(s):
    return "[" + ", ".join(map(str, s)) + "]"
n = len(shapes)
print("graph @c(" + ", ".join(f"t{i}: {elem} {text(s)}" for i, s in enumerate(shapes)) + ") {")
print(f"  t{n} = Concat(" + ", ".join(f"t{i}" for i in range(n)) + f", axis={axis}) : {elem} {text(result)}")
print(f"  return t{n}")
print("}")
