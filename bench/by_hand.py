"""What a team would script by hand: read the wave with pandas, write its rows back out.

python bench/by_hand.py SHEET.xlsx OUT.xlsx (standard pandas only; the yardstick of target A)
"""

import sys

import pandas as pd


def main(sheet: str, out: str) -> None:
    df = pd.read_excel(sheet, engine="calamine", dtype=str)
    df.to_excel(out, engine="xlsxwriter", index=False)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
